//! Work spread over every core: whole-store commands read many streams, and
//! each stream is independent of the others.

use std::cell::Cell;
use std::sync::Mutex;

thread_local! {
    /// Whether this thread is one of several [`map`] shares the cores
    /// between.
    static SHARING: Cell<bool> = const { Cell::new(false) };
}

/// Whether the cores are this thread's to use: it is not one of several
/// that [`map`] already shares them between. A long stream is read on
/// several cores only then (see [`crate::log::stream::split`]).
pub(crate) fn cores_free() -> bool {
    !SHARING.get()
}

/// How many cores this process may use, found once: finding out reads
/// the process's control group files each time.
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// The most items a core takes at a time: few enough that the cores finish
/// together, many enough that they seldom meet to take more.
const CHUNK: usize = 16;

/// `f` of every item, computed on every core, in the order of `items`.
pub fn map<I: Sync, T: Send>(items: &[I], f: impl Fn(&I) -> T + Sync) -> Vec<T> {
    let workers = cores().min(items.len()).max(1);
    // each core takes about a quarter of its share at most at a time
    let chunk = (items.len() / (4 * workers)).clamp(1, CHUNK);
    // each result is put where it goes as it is made: the results are
    // never gathered from the cores into fresh memory, which is paged in a
    // page at a time, and copied there
    let mut made: Vec<Option<T>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let work = Mutex::new(made.chunks_mut(chunk).zip(items.chunks(chunk)));
    let next = || work.lock().ok().and_then(|mut work| work.next());
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    SHARING.set(workers > 1);
                    while let Some((places, part)) = next() {
                        for (place, item) in places.iter_mut().zip(part) {
                            *place = Some(f(item));
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
    });
    // (where a result takes no more room than its place, in place)
    made.into_iter()
        .map(|made| made.expect("every item mapped, or a core panicked"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_few_items_are_shared_between_the_cores() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::time::{Duration, Instant};
        if super::cores() < 2 {
            eprintln!("skipped: one core here, so no two items can run at once");
            return;
        }
        // each call waits to see the other begun: only two cores at once
        // can both see it
        let begun = AtomicUsize::new(0);
        let both = super::map(&[0, 1], |_| {
            begun.fetch_add(1, Ordering::SeqCst);
            let start = Instant::now();
            while begun.load(Ordering::SeqCst) < 2 && start.elapsed() < Duration::from_secs(5) {
                std::thread::yield_now();
            }
            begun.load(Ordering::SeqCst) == 2
        });
        assert_eq!(both, [true, true]);
    }

    #[test]
    fn the_cores_are_free_but_on_a_thread_that_shares_them() {
        assert!(super::cores_free());
        assert_eq!(super::map(&[0], |_| super::cores_free()), [true]);
        let cores = super::cores();
        let shared = super::map(&[0, 1, 2], |_| super::cores_free());
        assert_eq!(shared, [cores == 1; 3]);
        assert!(super::cores_free(), "the caller's own thread");
    }

    #[test]
    fn every_item_is_mapped_once_in_order() {
        for n in [0, 1, 15, 16, 17, 1000] {
            let items: Vec<usize> = (0..n).collect();
            assert_eq!(
                super::map(&items, |i| i * 2),
                (0..n).map(|i| i * 2).collect::<Vec<_>>()
            );
        }
        // items of uneven work, so that the cores' runs interleave
        let items: Vec<u64> = (0..5000).collect();
        let slow = |&i: &u64| {
            if i % 7 == 0 {
                std::thread::yield_now();
            }
            (0..i % 13).fold(i, |sum, k| sum.wrapping_mul(31).wrapping_add(k))
        };
        assert_eq!(
            super::map(&items, slow),
            items.iter().map(slow).collect::<Vec<_>>()
        );
    }
}

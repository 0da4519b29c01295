//! Folding one long stream on several cores (four at most): its bytes are
//! cut into blocks, each core reads the lines that begin in its blocks
//! alone (their UTF-8, JSON, checksum, fields and hash, nearly all of the
//! work), and one thread checks them in order against the lines before
//! them and hands them on, exactly as [`super::fold`] does.
//!
//! The lines of a block are those that begin in it: a line is every byte
//! up to a LF, so where a block begins says nothing of where its first line
//! does, but the byte before it does. A line that runs past its block's end
//! is read on from the file; one past [`MAX_LINE`] is refused there, as the
//! one-core fold refuses it, and what the later blocks read of it is never
//! handed on: the fold stops at its block's problem.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{channel, sync_channel};

use super::{Alone, Checker, Folded, Index, Line, MAX_LINE, Parsed, ReadError, Said};
use crate::model::error::StreamProblem;
use crate::model::pact::PactId;

/// The bytes in a block: each one a core reads and hands on at a time.
/// Blocks of some thousands of lines keep the cores from meeting often,
/// and the few held at a time (two for each core) small.
const BLOCK: u64 = 1 << 19;

/// The most cores that read one stream's blocks: each holds two blocks,
/// and past a few the one thread that checks the lines in order is what
/// bounds the fold.
const CORES: usize = 4;

/// Whether a stream of `len` bytes is worth folding on several cores: not
/// one of a few blocks, which is read in a few milliseconds on one, nor on a
/// thread of a whole-store command, whose other cores read other streams.
pub(crate) fn worth(len: u64) -> bool {
    len > 4 * BLOCK && crate::log::par::cores_free() && crate::log::par::cores() > 1
}

/// The lines that begin in a block, read alone.
struct Block {
    /// The bytes read: from the first line on, and past the block's end to
    /// the end of its last line.
    bytes: Vec<u8>,
    /// Where the first line begins in `bytes`, and in the stream.
    first: usize,
    offset: u64,
    /// Each line read, with its length (without its LF), in order.
    lines: Vec<(usize, Alone)>,
    /// The parties of each line of `lines` that names any, with its place
    /// there.
    parties: Vec<(usize, Vec<String>)>,
    /// What ended the block before its last line: the problem of the line
    /// after the last in `lines`, or of reading on, which ends the fold
    /// there.
    stop: Option<Stop>,
}

/// Why a block ends before its last line.
enum Stop {
    /// The next line has this problem.
    Line(StreamProblem),
    /// Reading the next line failed.
    Io(io::Error),
}

/// [`super::fold_indexed`] of the first `len` bytes of `file`, the stream
/// of pact `id`, its lines read alone on several cores and checked in order
/// on this thread: what `visit` is handed, and what the fold returns, are
/// exactly what the one-core fold gives.
///
/// # Errors
///
/// As [`super::fold`].
pub(crate) fn fold_indexed(
    id: &PactId,
    file: &File,
    len: u64,
    visit: impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
) -> Result<(Folded, Index), ReadError> {
    fold_in_blocks(id, file, len, BLOCK, visit)
}

/// [`fold_indexed`] in blocks of `size` bytes.
fn fold_in_blocks(
    id: &PactId,
    file: &File,
    len: u64,
    size: u64,
    mut visit: impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
) -> Result<(Folded, Index), ReadError> {
    let blocks = len.div_ceil(size);
    let cores = crate::log::par::cores();
    let workers = u64::try_from(cores.min(CORES))
        .unwrap_or(1)
        .clamp(1, blocks.max(1));
    std::thread::scope(|scope| {
        // each core reads every `workers`th block, from its own, into one
        // of two rooms: the other is the block before, which this thread
        // checks meanwhile, or which waits for it. A block read waits in
        // its channel, not in its core, for this thread to take it: its
        // core reads on as soon as the room of the block before that is
        // given back
        let mut handles = Vec::new();
        let mut from = Vec::new();
        let mut spares = Vec::new();
        for first in 0..workers {
            let (send, receive) = sync_channel(1);
            // the blocks this thread is done with, to read the next into
            let (spare, take_spare) = channel::<Block>();
            handles.push(scope.spawn(move || {
                for (nth, at) in (first..blocks).step_by(workers as usize).enumerate() {
                    // (when this thread stops taking blocks, a room is made)
                    let into = match nth {
                        0 | 1 => None,
                        _ => take_spare.recv().ok(),
                    };
                    let read = read_block(id, file, len, size, at, into);
                    let failed = read.is_err();
                    if send.send(read).is_err() || failed {
                        break;
                    }
                }
            }));
            from.push(receive);
            spares.push(spare);
        }
        let mut handles: Vec<_> = handles.into_iter().map(Some).collect();
        let mut checker = Checker::new(id);
        let mut offset = 0_u64;
        for at in 0..blocks {
            let core = (at % workers) as usize;
            let Ok(block) = from[core].recv() else {
                // a core that stops sending before its last block panicked
                match handles[core].take().map(|h| h.join()) {
                    Some(Err(panic)) => std::panic::resume_unwind(panic),
                    _ => unreachable!("a core stopped before its last block without a panic"),
                }
            };
            let mut block = block?;
            let mut start = block.first;
            if !block.lines.is_empty() || block.stop.is_some() {
                debug_assert_eq!(block.offset, offset, "a block begins where the last ended");
            }
            let mut named = block.parties.iter().peekable();
            for (nth, &(n, alone)) in block.lines.iter().enumerate() {
                let parties = named.next_if(|(of, _)| *of == nth).map(|(_, p)| &p[..]);
                let read = Parsed {
                    bytes: &block.bytes[start..start + n],
                    alone,
                    said: Said::Elsewhere {
                        parties: parties.unwrap_or_default(),
                    },
                };
                let number = checker.events() + 1;
                checker
                    .checked(read, offset, &mut visit)
                    .map_err(|problem| ReadError::At(number, problem))?;
                start += n + 1;
                offset += n as u64 + 1;
            }
            match block.stop.take() {
                Some(Stop::Line(problem)) => {
                    return Err(ReadError::At(checker.events() + 1, problem));
                }
                Some(Stop::Io(e)) => return Err(ReadError::Io(e)),
                None => {}
            }
            // (a core that is done has no more use for it)
            let _ = spares[core].send(block);
        }
        let ids = Index(std::mem::take(&mut checker.ids));
        let folded = checker
            .finish(offset)
            .map_err(|problem| ReadError::At(1, problem))?;
        Ok((folded, ids))
    })
}

/// Reads the lines that begin in block `at`, of `size` bytes, of the
/// first `len` bytes of `file`, the stream of `id`, each alone, up to the
/// first with a problem. `into` is a block read before, whose room is
/// taken again.
fn read_block(
    id: &PactId,
    file: &File,
    len: u64,
    size: u64,
    at: u64,
    into: Option<Block>,
) -> io::Result<Block> {
    let start = at * size;
    let end = len.min(start + size);
    // from the byte before the block, which says whether a line begins at
    // its first
    let from = start.saturating_sub(1);
    let (mut bytes, mut lines, mut parties) =
        into.map_or_else(Default::default, |b| (b.bytes, b.lines, b.parties));
    // (bytes read into are not set first: only those read past the block
    // last time are cut)
    bytes.truncate((end - from) as usize);
    bytes.resize((end - from) as usize, 0);
    lines.clear();
    parties.clear();
    file.read_exact_at(&mut bytes, from)?;
    let first = match start {
        0 => 0,
        _ => memchr::memchr(b'\n', &bytes).map_or(bytes.len(), |lf| lf + 1),
    };
    let mut stop = None;
    let mut next = first;
    // the lines that begin before the block's end
    while from + (next as u64) < end {
        let line = match line_end(file, len, from, &mut bytes, next) {
            Ok(Ok(lf)) => &bytes[next..lf],
            Ok(Err(refused)) => {
                stop = Some(Stop::Line(refused));
                break;
            }
            // (after the lines before it, which may have a problem first)
            Err(e) => {
                stop = Some(Stop::Io(e));
                break;
            }
        };
        let last = from + (next + line.len()) as u64 + 1 == len;
        match Alone::read(id, line, last) {
            Ok(alone) => {
                let named = alone.parties(line);
                if !named.is_empty() {
                    parties.push((lines.len(), named));
                }
                lines.push((line.len(), alone));
            }
            Err(refused) => {
                stop = Some(Stop::Line(refused));
                break;
            }
        }
        next += line.len() + 1;
    }
    Ok(Block {
        bytes,
        first,
        offset: from + first as u64,
        lines,
        parties,
        stop,
    })
}

/// Where the line that begins at `next` in `bytes` (which begin at `from`
/// in the stream of `len` bytes in `file`) ends: its LF, read on from the
/// file when it runs past them; or why it has none.
fn line_end(
    file: &File,
    len: u64,
    from: u64,
    bytes: &mut Vec<u8>,
    next: usize,
) -> io::Result<Result<usize, StreamProblem>> {
    loop {
        let line = &bytes[next..];
        match memchr::memchr(b'\n', line) {
            Some(lf) if lf > MAX_LINE => return Ok(Err(StreamProblem::LineTooLong)),
            Some(lf) => return Ok(Ok(next + lf)),
            None if line.len() > MAX_LINE => return Ok(Err(StreamProblem::LineTooLong)),
            None => {}
        }
        let read = from + bytes.len() as u64;
        if read == len {
            let why = "no final newline";
            return Ok(Err(StreamProblem::TornTail { why }));
        }
        // the line runs past the bytes read: read on, to its end at most
        let more = (MAX_LINE + 1 - line.len()) as u64;
        let have = bytes.len();
        bytes.resize(have + more.min(len - read) as usize, 0);
        file.read_exact_at(&mut bytes[have..], read)?;
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, Write};

    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::model::event::{Citation, Edit, EventBody, Note, Retraction, StatusChange};
    use crate::model::status::Status;

    const GSOMIA: &[u8] = include_bytes!("../../../events/gsomia.jsonl");

    /// A stream of pact `p` with a line of every kind a fold reads the text
    /// of, or learns of alone: statuses and notes of parties, a status with
    /// a note, an edit, a retraction and the copy that amends it, a
    /// citation; ten times over, so that it spans many blocks.
    fn varied() -> Vec<u8> {
        let on = chrono::NaiveDate::from_ymd_opt(2016, 11, 23).unwrap();
        let status = |parties: &[&str], note: Option<&str>, amends: Option<u128>| {
            EventBody::Status(StatusChange {
                status: Status::InForce,
                on: on.into(),
                source: Some("A source".into()),
                url: None,
                note: note.map(str::to_owned),
                reported: false,
                forced: false,
                parties: parties.iter().map(|p| (*p).to_owned()).collect(),
                amends: amends.map(Uuid::from_u128),
            })
        };
        let mut bodies = Vec::new();
        for round in 0..10_u128 {
            // the lines of `written` are numbered from 2, each its own id
            let first = 2 + round * 7;
            bodies.extend([
                status(&["KR"], None, None),
                status(&[], Some("a \"quoted\" remark"), None),
                EventBody::Note(Note {
                    on: on.into(),
                    text: "a note".into(),
                    source: None,
                    url: None,
                    parties: vec!["JP".into()],
                    amends: None,
                }),
                EventBody::Edited(Edit {
                    add_parties: vec![format!("P{round}")],
                    ..Edit::default()
                }),
                EventBody::Retraction(Retraction {
                    target: Uuid::from_u128(first),
                    reason: "in error".into(),
                }),
                status(&["KR", "JP"], None, Some(first)),
                EventBody::Citation(Citation {
                    target: Uuid::from_u128(first + 1),
                    source: "Another".into(),
                    url: None,
                    official: true,
                }),
            ]);
        }
        crate::log::stream::tests::written(bodies)
    }

    /// What a fold hands on and gives, in a form two folds can
    /// be compared by.
    fn outcome(
        fold: impl FnOnce(
            &mut dyn FnMut(Line<'_>) -> Result<(), StreamProblem>,
        ) -> Result<(Folded, Index), ReadError>,
    ) -> String {
        let mut seen = Vec::new();
        let mut ids = Vec::new();
        let folded = fold(&mut |line| {
            ids.push(line.fact.id);
            seen.push(format!(
                "{} {} {:?} {:?} {} {} {} {:?} {:?}",
                line.number,
                line.offset,
                line.fact,
                line.target,
                line.has_note(),
                line.names_parties(),
                line.names_party("kr"),
                line.parties(),
                line.record(),
            ));
            Ok(())
        });
        match folded {
            Ok((folded, index)) => {
                let lines: Vec<_> = ids.iter().map(|id| index.line_of(id)).collect();
                format!("{seen:?} {folded:?} {lines:?}")
            }
            Err(ReadError::At(line, problem)) => format!("{seen:?} line {line}: {problem:?}"),
            Err(ReadError::Io(e)) => format!("io: {e}"),
        }
    }

    /// The fold of `bytes` on one core, and in blocks of `size` bytes on
    /// every core.
    fn both(id: &PactId, bytes: &[u8], size: u64) -> (String, String) {
        let one = outcome(|visit| super::super::fold_indexed(id, bytes, visit));
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file.rewind().unwrap();
        let len = bytes.len() as u64;
        let split = outcome(|visit| fold_in_blocks(id, &file, len, size, visit));
        (one, split)
    }

    proptest! {
        /// Whatever the bytes, and wherever the blocks' edges fall, the
        /// lines handed on and the answer, or the first problem and its
        /// line, are those of the fold on one core.
        #[test]
        fn a_fold_in_blocks_is_the_fold_on_one_core(
            varied_stream in any::<bool>(),
            size in 16_u64..4096,
            cut in 0.5_f64..=1.0,
            whole_lines in any::<bool>(),
            flip in proptest::option::of((0.0_f64..1.0, 1_u8..=255, any::<bool>())),
        ) {
            let (id, mut bytes) = match varied_stream {
                true => (PactId::parse("p").unwrap(), varied()),
                false => (PactId::parse("gsomia").unwrap(), GSOMIA.to_vec()),
            };
            let mut end = (bytes.len() as f64 * cut) as usize;
            if whole_lines {
                end = memchr::memrchr(b'\n', &bytes[..end]).map_or(0, |lf| lf + 1).max(1);
            }
            bytes.truncate(end);
            // anywhere, or in the last line, whose problems are told apart
            // from a torn write
            if let Some((at, mask, in_last)) = flip {
                let last = memchr::memrchr(b'\n', &bytes[..bytes.len() - 1]).map_or(0, |lf| lf + 1);
                let from = if in_last { last } else { 0 };
                let at = (from + ((bytes.len() - from) as f64 * at) as usize).min(bytes.len() - 1);
                bytes[at] ^= mask;
            }
            let (one, split) = both(&id, &bytes, size);
            prop_assert_eq!(one, split);
        }
    }

    #[test]
    fn a_whole_stream_folds_alike_in_blocks_of_any_size() {
        let id = PactId::parse("p").unwrap();
        let bytes = varied();
        for size in [1, 2, 100, 511, 4096, 1 << 19] {
            let (one, split) = both(&id, &bytes, size);
            assert!(!one.contains("line "), "the stream is sound: {one}");
            assert_eq!(one, split, "blocks of {size}");
        }
    }

    #[test]
    fn a_line_too_long_is_refused_at_its_line_wherever_it_lies() {
        let id = PactId::parse("gsomia").unwrap();
        let lines: Vec<&[u8]> = GSOMIA.split_inclusive(|&b| b == b'\n').collect();
        let long = vec![b'x'; MAX_LINE + 1];
        let mut within = lines[..5].concat();
        within.extend_from_slice(&long);
        within.push(b'\n');
        within.extend_from_slice(&lines[5..].concat());
        // at the end, with no LF after it
        let mut last = lines.concat();
        last.extend_from_slice(&long);
        // as long as may be, which is only malformed
        let mut longest = lines[..5].concat();
        longest.extend_from_slice(&long[1..]);
        longest.push(b'\n');
        longest.extend_from_slice(&lines[5..].concat());
        for (bytes, expected) in [
            (within, "line 6: LineTooLong"),
            (last, &format!("line {}: LineTooLong", lines.len() + 1)),
            (longest, "line 6: Malformed"),
        ] {
            for size in [1000, 1 << 16, MAX_LINE as u64, 1 << 19] {
                let (one, split) = both(&id, &bytes, size);
                assert!(one.contains(expected), "{expected}: {one}");
                assert_eq!(one, split, "blocks of {size}");
            }
        }
    }
}

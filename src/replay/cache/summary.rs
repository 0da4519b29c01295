//! What the cache keeps of a stream, its [`Summary`]: made as the stream is
//! folded ([`Summing`]), and answering for a date as a replay does.

use std::borrow::Cow;
use std::io::BufRead;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::log::stream::ReadError;
use crate::model::date::EffectiveDate;
use crate::model::event::{Fact, Hash, What};
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;
use crate::replay::cache::InForce;
use crate::replay::cache::stamp::Stamp;
use crate::replay::cache::steps::{FORCED, REPORTED, STEP, Steps, Times};

/// What a whole-store question needs of one stream. A summary read from
/// the cache file borrows its text and steps from the file's bytes; one
/// made from a stream owns them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary<'a> {
    /// The pact's id: first, so that the cache file's index finds it
    /// where a summary begins, without decoding the rest.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Its name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// The stream file's length in bytes: half of the key.
    pub len: u64,
    /// The stream's head hash: the other half.
    #[serde(with = "super::fixed")]
    pub head: [u8; 32],
    /// The stream file's stamp when its head was last read, if the file had
    /// settled by then.
    pub stamp: Option<Stamp>,
    /// When the pact was registered, in microseconds since 1970 (UTC).
    pub(super) registered: i64,
    /// Every status event ever recorded, in timeline order.
    #[serde(borrow)]
    pub(super) steps: Steps<'a>,
    /// The places in `steps` of the status events that a retraction
    /// withdrew, with the time of the retraction (microseconds since 1970,
    /// UTC).
    pub(super) retracted: Vec<(u32, i64)>,
    /// The places in `steps` of the status events an official citation
    /// confirms, from when (the citation's time) until when (the time a
    /// retraction withdrew the citation; `i64::MAX` while none has).
    pub(super) confirmed: Vec<(u32, i64, i64)>,
}

/// A [`Summary`] made as its stream is read, a line at a time, in the
/// layout of its [`Steps`]: each status event's date, status byte and
/// recorded time (13 bytes) in line order, one bit for each line saying
/// whether it is a status event, and each retraction's target and time.
#[derive(Debug, Default)]
pub(crate) struct Summing {
    /// Every status event's effective date, 4 bytes each, in line order.
    days: Vec<u8>,
    /// Every status event's status byte, likewise.
    statuses: Vec<u8>,
    /// Every status event's date precision and qualifier, likewise.
    dates: Vec<u8>,
    /// When every status event was recorded, 8 bytes each, likewise.
    times: Vec<u8>,
    /// Bit `n` of the set says whether line `n` is a status event.
    status_lines: Vec<u64>,
    /// The line each retraction withdraws, and when it was recorded.
    retracted: Vec<(u32, i64)>,
    /// Each official citation's line, the line it cites, when it was
    /// recorded, and when a retraction withdrew it (`i64::MAX`: none).
    citations: Vec<(u32, u32, i64, i64)>,
    /// When the first event was recorded.
    registered: Option<i64>,
}

impl Summing {
    /// Takes in line `number` of the stream: its event's `fact`, and for a
    /// retraction, the line it withdraws.
    fn take(&mut self, number: usize, fact: &Fact, target: Option<usize>) {
        // a stream of more than four billion events is not one pactlog can
        // read in the first place
        let line = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let recorded = fact.recorded.timestamp_micros();
        self.registered.get_or_insert(recorded);
        match fact.what {
            // the pact's own timeline: a party's status is not in it
            What::Status {
                status,
                on,
                reported,
                forced,
                of_parties: false,
            } => {
                let mark = |flag: bool, bit: u8| if flag { bit } else { 0 };
                self.days
                    .extend(on.earliest().num_days_from_ce().to_le_bytes());
                self.dates.push(on.code());
                self.statuses
                    .push(status as u8 | mark(reported, REPORTED) | mark(forced, FORCED));
                self.times.extend(recorded.to_le_bytes());
                let (word, bit) = (number / 64, number % 64);
                if self.status_lines.len() <= word {
                    self.status_lines.resize(word + 1, 0);
                }
                self.status_lines[word] |= 1 << bit;
            }
            What::Retraction { .. } => {
                if let Some(target) = target {
                    self.retracted.push((line(target), recorded));
                    let at = self.citations.partition_point(|c| c.0 < line(target));
                    if let Some(c) = self.citations.get_mut(at).filter(|c| c.0 == line(target)) {
                        c.3 = recorded;
                    }
                }
            }
            What::Citation { official: true, .. } => {
                if let Some(target) = target {
                    let cited = (line(number), line(target), recorded, i64::MAX);
                    self.citations.push(cited);
                }
            }
            What::Registered
            | What::Note { .. }
            | What::Status { .. }
            | What::Citation { .. }
            | What::Edited => {}
        }
    }

    /// Takes in the next line of a stream being folded.
    pub(crate) fn visit(&mut self, line: &crate::log::stream::Line<'_>) {
        self.take(line.number, &line.fact, line.target);
    }

    /// The effective date of step `i` (in line order), in days from
    /// 0001-01-01.
    fn day(&self, i: usize) -> i32 {
        i32::from_le_bytes(self.days[4 * i..4 * i + 4].try_into().expect("4 bytes"))
    }

    /// When step `i` (in line order) was recorded, in microseconds since
    /// 1970 (UTC).
    fn time(&self, i: usize) -> i64 {
        i64::from_le_bytes(self.times[8 * i..8 * i + 8].try_into().expect("8 bytes"))
    }

    /// The places among the steps of the status events withdrawn, in
    /// order, with when each was withdrawn.
    fn withdrawn(&self) -> Vec<(usize, i64)> {
        self.places(self.retracted.clone())
    }

    /// The places among the steps of the status events confirmed, in
    /// order, each with when it was confirmed and until when.
    fn confirmations(&self) -> Vec<(usize, (i64, i64))> {
        let targets = self.citations.iter().map(|c| (c.1, (c.2, c.3))).collect();
        self.places(targets)
    }

    /// The places among the steps of the lines `targets` name, in order,
    /// with what each carries; lines of no status are left out.
    fn places<T: Ord + Copy>(&self, mut targets: Vec<(u32, T)>) -> Vec<(usize, T)> {
        targets.sort_unstable();
        // a status's place is the count of status lines before its own:
        // counted once along the lines, in the targets' order
        let mut withdrawn = Vec::with_capacity(targets.len());
        let (mut word, mut before) = (0, 0);
        for (line, time) in targets {
            let (at, bit) = (line as usize / 64, line % 64);
            let Some(&bits) = self.status_lines.get(at) else {
                continue;
            };
            for &counted in &self.status_lines[word..at] {
                before += counted.count_ones() as usize;
            }
            word = at;
            if bits & 1 << bit != 0 {
                let below = (bits & ((1 << bit) - 1)).count_ones() as usize;
                withdrawn.push((before + below, time));
            }
        }
        withdrawn
    }

    /// Every status event, retracted ones included, in (date, recorded
    /// time, seq) order, as places among the steps: `None` when that is the
    /// order they were read in, as it is unless a status was backdated
    /// before one read earlier, or a git merge re-linked one recorded
    /// before another of its day.
    fn order(&self) -> Option<Vec<u32>> {
        let steps = self.statuses.len();
        let key = |i: usize| (self.day(i), self.time(i));
        if (1..steps).all(|i| key(i - 1) <= key(i)) {
            return None;
        }
        let mut order: Vec<u32> = (0..steps as u32).collect();
        order.sort_by_key(|&i| key(i as usize));
        Some(order)
    }

    /// Walks the timeline: each status event no retraction withdrew, in
    /// (date, recorded time, seq) order, as its line, effective date,
    /// status, whether it was forced and when it was recorded (microseconds
    /// since 1970, UTC).
    pub(crate) fn walk(&self, mut visit: impl FnMut(usize, EffectiveDate, Status, bool, i64)) {
        let withdrawn = self.withdrawn();
        // the line of each step, in line order: the set bits, in order
        let lines = self
            .status_lines
            .iter()
            .enumerate()
            .flat_map(|(word, &bits)| {
                let mut bits = bits;
                std::iter::from_fn(move || {
                    (bits != 0).then(|| {
                        let bit = bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        64 * word + bit
                    })
                })
            });
        let mut step = |i: usize, line: usize| {
            if withdrawn.binary_search_by_key(&i, |w| w.0).is_ok() {
                return;
            }
            let byte = self.statuses[i];
            let status = Status::ALL[usize::from(byte & !(REPORTED | FORCED))];
            let day = NaiveDate::from_num_days_from_ce_opt(self.day(i)).expect("a date read");
            let on = EffectiveDate::from_code(day, self.dates[i]).expect("a date read");
            visit(line, on, status, byte & FORCED != 0, self.time(i));
        };
        match self.order() {
            None => lines.enumerate().for_each(|(i, line)| step(i, line)),
            Some(order) => {
                let lines: Vec<usize> = lines.collect();
                for i in order {
                    step(i as usize, lines[i as usize]);
                }
            }
        }
    }

    /// The summary of the stream of `pact`, checked whole: `len` bytes long,
    /// with the head `head`.
    pub(crate) fn finish(
        mut self,
        pact: &Pact,
        head: Hash,
        len: u64,
        stamp: Option<Stamp>,
    ) -> Summary<'static> {
        let steps = self.statuses.len();
        let withdrawn = self.withdrawn();
        let confirmations = self.confirmations();
        // from places in line order to places in timeline order
        fn placed<T: Copy>(order: Option<&[u32]>, found: &[(usize, T)]) -> Vec<(u32, T)> {
            match order {
                None => found.iter().map(|&(at, t)| (at as u32, t)).collect(),
                Some(order) => order
                    .iter()
                    .enumerate()
                    .flat_map(|(at, &i)| {
                        let from = found.partition_point(|f| f.0 < i as usize);
                        found[from..]
                            .iter()
                            .take_while(move |f| f.0 == i as usize)
                            .map(move |&(_, t)| (at as u32, t))
                    })
                    .collect(),
            }
        }
        let order = self.order();
        let confirmed: Vec<(u32, i64, i64)> = placed(order.as_deref(), &confirmations)
            .into_iter()
            .map(|(at, (from, until))| (at, from, until))
            .collect();
        let retracted = match order {
            None => placed(None, &withdrawn),
            Some(order) => {
                let retracted = placed(Some(&order), &withdrawn);
                let permute = |column: &[u8], width: usize| -> Vec<u8> {
                    order
                        .iter()
                        .flat_map(|&i| &column[width * i as usize..width * (i as usize + 1)])
                        .copied()
                        .collect()
                };
                self.days = permute(&self.days, 4);
                self.statuses = permute(&self.statuses, 1);
                self.dates = permute(&self.dates, 1);
                self.times = permute(&self.times, 8);
                retracted
            }
        };
        // the steps' bytes: dates, then status bytes, then date codes; and
        // the times apart
        let mut bytes = std::mem::take(&mut self.days);
        bytes.reserve_exact(steps * (STEP - 4));
        bytes.append(&mut self.statuses);
        bytes.append(&mut self.dates);
        Summary {
            id: Cow::Owned(pact.id.as_str().to_owned()),
            name: Cow::Owned(pact.name.clone()),
            len,
            head: head.to_bytes(),
            stamp,
            registered: self.registered.unwrap_or(i64::MIN),
            steps: Steps {
                bytes: Cow::Owned(bytes),
                times: Times::Here(Cow::Owned(self.times)),
                len: steps,
            },
            retracted,
            confirmed,
        }
    }
}

impl Summary<'_> {
    /// The summary of the stream of pact `id` that `input` holds, folded
    /// and checked line by line as every reader folds a stream: what
    /// `list` keeps in the cache for it.
    ///
    /// # Errors
    ///
    /// The [`ReadError`] of the first line that is not sound.
    pub fn fold(id: &PactId, input: impl BufRead) -> Result<Summary<'static>, ReadError> {
        let mut summing = Summing::default();
        let folded = crate::log::stream::fold(id, input, |line| {
            summing.visit(&line);
            Ok(())
        })?;
        Ok(summing.finish(&folded.pact, folded.head, folded.len, None))
    }

    /// The head hash.
    pub fn head(&self) -> Hash {
        Hash::from_bytes(self.head)
    }

    /// Whether the pact was registered by `as_of` (always, without one).
    pub fn registered_by(&self, as_of: Option<DateTime<Utc>>) -> bool {
        as_of.is_none_or(|t| self.registered <= t.timestamp_micros())
    }

    /// The status on `on`, since when, whether it is certain, and whether
    /// it is known only from reports, as the record stood at `as_of`: among
    /// the steps recorded by `as_of` and not retracted by it, the last that
    /// certainly took effect by `on`, as [`Timeline::answer_on`] finds it
    /// (`None`, and uncertain, when the first steps may or may not have).
    ///
    /// [`Timeline::answer_on`]: crate::replay::Timeline::answer_on
    pub fn status_on(
        &self,
        on: NaiveDate,
        as_of: Option<DateTime<Utc>>,
    ) -> (Option<InForce>, bool) {
        let at = as_of.map_or(i64::MAX, |t| t.timestamp_micros());
        let retracted = |i: usize| {
            self.retracted
                .iter()
                .any(|&(target, when)| target as usize == i && when <= at)
        };
        let steps = &self.steps;
        // without a time, no step's time is read: every one was recorded
        // by now
        let mut visible = (0..steps.effective_by(on.num_days_from_ce()))
            .rev()
            .filter(|&i| (as_of.is_none() || steps.recorded(i) <= at) && !retracted(i));
        // the last that may have taken effect, and the last that did
        let Some(last) = visible.next() else {
            return (None, true);
        };
        let mut certain = true;
        let mut found = Some(last);
        let mut deciding = last;
        while steps.date(deciding).latest() > on {
            certain = false;
            found = visible.next();
            let Some(i) = found else { break };
            deciding = i;
        }
        let confirmed = |i: usize| {
            self.confirmed.iter().any(|&(target, from, until)| {
                // (`until` is `i64::MAX` while no retraction withdrew it)
                target as usize == i && from <= at && (until == i64::MAX || at < until)
            })
        };
        let found = found.map(|i| InForce {
            status: steps.status(i),
            since: steps.date(i),
            reported: steps.reported(i) && !confirmed(i),
            forced: steps.forced(i),
        });
        let certain = certain && found.is_some_and(|f| f.since.qualifier().is_none());
        (found, certain)
    }
}

impl<'a> Summary<'a> {
    /// The pact's id, borrowed from the cache file when the summary was
    /// read from one.
    pub fn id_text(&self) -> Cow<'a, str> {
        lent(&self.id)
    }

    /// The pact's name, borrowed from the cache file when the summary was
    /// read from one: a warm `list` copies none.
    pub fn name_text(&self) -> Cow<'a, str> {
        lent(&self.name)
    }
}

/// `text` as long as what it borrows from, when it borrows (from a cache
/// file's bytes); a copy, when it owns its text.
fn lent<'a>(text: &Cow<'a, str>) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(text),
        Cow::Owned(text) => Cow::Owned(text.clone()),
    }
}

impl Summary<'_> {
    /// Whether this summary answers every question as `other` does: the
    /// same pact, name, head, registration and steps. The stream's length
    /// and stamp, the key a summary is found by, may differ.
    pub(super) fn says_what(&self, other: &Summary<'_>) -> bool {
        self.id == other.id
            && self.name == other.name
            && self.head == other.head
            && self.registered == other.registered
            && self.steps == other.steps
            && self.retracted == other.retracted
            && self.confirmed == other.confirmed
    }
}

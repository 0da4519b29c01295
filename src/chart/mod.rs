//! The timeline picture: one band per pact, one coloured segment per status
//! interval, markers for notes, a legend and a dated axis, as SVG, or as a
//! self-contained HTML page with the SVG and a table of the events.
//!
//! A [`Chart`] is built from replayed timelines (pure), then written by a
//! small SVG writer that escapes every text it embeds. Colours come from the
//! Okabe–Ito palette, which readers with the common colour-vision
//! deficiencies can tell apart; every segment also carries its status in
//! words (inside it when it fits, and in its tooltip), so colour is never
//! the only cue.
//!
//! Depends on: [`crate::model`], [`crate::replay`].

use std::fmt::Write as _;
use std::io;

use chrono::{Datelike, NaiveDate};

use crate::model::date::EffectiveDate;
use crate::model::pact::Pact;
use crate::model::status::Status;
use crate::replay::{Interval, Mark, Outline};

/// How a segment's status is qualified in words: " (scheduled)", " (reported)",
/// both, or nothing.
fn marks(segment: &Segment) -> String {
    [
        (segment.scheduled, " (scheduled)"),
        (segment.reported, " (reported)"),
    ]
    .iter()
    .filter(|(flag, _)| *flag)
    .map(|(_, words)| *words)
    .collect()
}

/// One pact's band.
#[derive(Debug, Clone)]
pub struct Band {
    /// The pact.
    pub pact: Pact,
    /// The party whose timeline the band draws; none for the pact's own.
    pub party: Option<String>,
    /// Its status intervals, oldest first.
    pub segments: Vec<Segment>,
    /// Its notes.
    pub notes: Vec<Marker>,
}

/// One status interval.
#[derive(Debug, Clone)]
pub struct Segment {
    /// The status.
    pub status: Status,
    /// When it took effect, as precise as it is known.
    pub date: EffectiveDate,
    /// The first day it may have held: its date's earliest.
    pub from: NaiveDate,
    /// The first day the next status may have held; `None` while it holds.
    pub to: Option<NaiveDate>,
    /// When the next status took effect, as precise as it is known.
    pub until: Option<EffectiveDate>,
    /// Whether it begins after today.
    pub scheduled: bool,
    /// Whether it is known only from reports (`--reported`).
    pub reported: bool,
    /// The status event's mark, to read its source by.
    pub(crate) mark: Mark,
}

/// A note on a band.
#[derive(Debug, Clone)]
pub struct Marker {
    /// Its date, as precise as it is known.
    pub on: EffectiveDate,
    /// The note event's mark, to read its text by.
    pub(crate) mark: Mark,
}

/// The text of a segment or a note, read as it is drawn.
#[derive(Debug, Clone, Default)]
pub struct Text {
    /// What a note says; none for a segment.
    pub text: String,
    /// Where it is reported.
    pub source: Option<String>,
    /// A link to the source.
    pub url: Option<String>,
}

/// Where a chart's text comes from: the bands hold no text, so that a
/// picture of any number of events is drawn in little memory, and each
/// segment's source and each note's text is asked for as it is drawn.
pub trait Texts {
    /// The text of the event marked `mark` in band `band`. An error stops
    /// the drawing.
    fn text(&mut self, band: usize, mark: &Mark) -> io::Result<Text>;
}

/// Everything the picture shows.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The bands, top to bottom.
    pub bands: Vec<Band>,
    /// The first day shown.
    pub from: NaiveDate,
    /// The last day shown.
    pub to: NaiveDate,
    /// Today: open intervals run to the end, scheduled ones are hatched.
    pub today: NaiveDate,
}

impl Band {
    /// The band of `party` of a pact, from the party's outline.
    pub fn of_party(pact: &Pact, party: &str, outline: &Outline, today: NaiveDate) -> Band {
        Band {
            party: Some(party.to_owned()),
            ..Band::new(pact, outline, today)
        }
    }

    /// The band of a pact from its outline, as of the time it was folded as
    /// of.
    pub fn new(pact: &Pact, outline: &Outline, today: NaiveDate) -> Band {
        Band {
            pact: pact.clone(),
            party: None,
            segments: outline
                .timeline()
                .intervals()
                .map(
                    |Interval {
                         entry: mark, to, ..
                     }| Segment {
                        status: mark.status().expect("a timeline holds only statuses"),
                        date: mark.on(),
                        from: mark.on().earliest(),
                        to: to.map(|to| to.earliest()),
                        until: to,
                        scheduled: mark.on().earliest() > today,
                        reported: mark.reported(),
                        mark: *mark,
                    },
                )
                .collect(),
            notes: outline
                .notes()
                .iter()
                .map(|mark| Marker {
                    on: mark.on(),
                    mark: *mark,
                })
                .collect(),
        }
    }
}

impl Chart {
    /// A chart of `bands`, from `from` to `to` when given, else from the
    /// start of the year of the first date shown to the end of the year of
    /// the last (today included).
    pub fn new(
        bands: Vec<Band>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Chart {
        let dates = bands.iter().flat_map(|b| {
            b.segments
                .iter()
                .flat_map(|s| [Some(s.from), s.to])
                .flatten()
                .chain(b.notes.iter().map(|n| n.on.earliest()))
        });
        let (first, last) = dates.fold((today, today), |(lo, hi), d| (lo.min(d), hi.max(d)));
        let from =
            from.unwrap_or_else(|| NaiveDate::from_ymd_opt(first.year(), 1, 1).unwrap_or(first));
        let to = to
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(last.year(), 12, 31).unwrap_or(last))
            .max(from.succ_opt().unwrap_or(from));
        Chart {
            bands,
            from,
            to,
            today,
        }
    }
}

/// The fill of a status: the Okabe–Ito palette, plus greys, indigo and two
/// of Paul Tol's muted hues (cyan, teal) for the statuses before and after
/// a pact's life.
pub fn fill(status: Status) -> &'static str {
    match status {
        Status::Proposed => "#BBBBBB",
        Status::Signed => "#56B4E9",
        Status::Ratified => "#88CCEE",
        Status::ProvisionallyApplied => "#44AA99",
        Status::InForce => "#009E73",
        Status::TerminationNotified => "#E69F00",
        Status::ConditionallySuspended => "#F0E442",
        Status::Normalized => "#0072B2",
        Status::Suspended => "#CC79A7",
        Status::Terminated => "#D55E00",
        Status::Expired => "#555555",
        Status::Withdrawn => "#332288",
    }
}

/// Whether text on `status`'s fill is better white than black.
fn light_text(status: Status) -> bool {
    matches!(
        status,
        Status::Normalized | Status::Terminated | Status::Expired | Status::Withdrawn
    )
}

/// Escapes text for XML and HTML, attributes included.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 allows no other control characters, nor these two
            // non-characters
            c if c.is_control() && !matches!(c, '\n' | '\t') => out.push('\u{FFFD}'),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const WIDTH: f64 = 1100.0;
const LABEL: f64 = 260.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 40.0;
const BAND: f64 = 30.0;
const GAP: f64 = 22.0;
/// The height of a row of the legend.
const LEGEND_ROW: f64 = 22.0;

/// One key of the legend.
#[derive(Debug, Clone, Copy)]
enum Key {
    Status(Status),
    Scheduled,
    Uncertain,
    Note,
}

impl Key {
    /// Its text.
    fn text(self) -> &'static str {
        match self {
            Key::Status(status) => status.words(),
            Key::Scheduled => "scheduled",
            Key::Uncertain => "date not known to the day",
            Key::Note => "note",
        }
    }

    /// The room it takes on its row, its text's width guessed from its
    /// letters.
    fn width(self) -> f64 {
        30.0 + self.text().len() as f64 * 6.2
    }
}

impl Chart {
    fn x(&self, date: NaiveDate) -> f64 {
        let span = (self.to - self.from).num_days().max(1) as f64;
        let at = (date - self.from)
            .num_days()
            .clamp(0, (self.to - self.from).num_days()) as f64;
        LABEL + at / span * (WIDTH - LABEL - RIGHT)
    }

    fn legend_statuses(&self) -> Vec<Status> {
        Status::ALL
            .into_iter()
            .filter(|s| {
                self.bands
                    .iter()
                    .any(|b| b.segments.iter().any(|g| g.status == *s))
            })
            .collect()
    }

    /// The legend's keys, each with its place: left to right from under
    /// the axis's start, on as many rows as they need.
    fn legend(&self) -> Vec<(Key, f64, usize)> {
        let scheduled = self
            .bands
            .iter()
            .any(|b| b.segments.iter().any(|g| g.scheduled));
        let uncertain = self
            .bands
            .iter()
            .any(|b| b.segments.iter().any(|g| !g.date.is_exact()));
        let keys = self.legend_statuses().into_iter().map(Key::Status);
        let keys = keys
            .chain(scheduled.then_some(Key::Scheduled))
            .chain(uncertain.then_some(Key::Uncertain))
            .chain([Key::Note]);
        let (mut x, mut row) = (LABEL, 0);
        keys.map(|key| {
            let width = key.width();
            if x + width > WIDTH - RIGHT && x > LABEL {
                (x, row) = (LABEL, row + 1);
            }
            x += width;
            (key, x - width, row)
        })
        .collect()
    }

    /// Writes the chart as a standalone SVG document to `out`, each
    /// segment's and note's text asked of `texts` as it is drawn.
    ///
    /// # Errors
    ///
    /// What writing to `out`, or `texts`, returns.
    pub fn write_svg(&self, out: &mut dyn io::Write, texts: &mut dyn Texts) -> io::Result<()> {
        let bands_height = self.bands.len() as f64 * (BAND + GAP);
        let axis_y = TOP + bands_height;
        let legend_y = axis_y + 44.0;
        let legend = self.legend();
        let rows = legend.last().map_or(1, |key| key.2 + 1);
        let height = legend_y + 40.0 + (rows - 1) as f64 * LEGEND_ROW;
        let mut s = String::new();
        let _ = write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12" role="img" aria-labelledby="chart-title">"##
        );
        let _ = write!(
            s,
            r##"<title id="chart-title">Status of {} from {} to {}</title>"##,
            escape(
                &self
                    .bands
                    .iter()
                    .filter(|b| b.party.is_none())
                    .map(|b| b.pact.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            self.from,
            self.to
        );
        s.push_str(r##"<defs><pattern id="scheduled" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(45)"><rect width="8" height="8" fill="#FFFFFF" fill-opacity="0.55"/><line x1="0" y1="0" x2="0" y2="8" stroke="#000000" stroke-width="3" stroke-opacity="0.45"/></pattern><pattern id="uncertain" patternUnits="userSpaceOnUse" width="6" height="6"><rect width="6" height="6" fill="#FFFFFF" fill-opacity="0.5"/><circle cx="3" cy="3" r="1" fill="#FFFFFF" fill-opacity="0.8"/></pattern></defs>"##);
        s.push_str(r##"<rect width="100%" height="100%" fill="#FFFFFF"/>"##);
        self.write_axis(&mut s, axis_y);
        for (i, band) in self.bands.iter().enumerate() {
            self.write_band(&mut s, out, (i, band), texts, TOP + i as f64 * (BAND + GAP))?;
        }
        if self.today >= self.from && self.today <= self.to {
            let x = self.x(self.today);
            let _ = write!(
                s,
                r##"<g class="today"><line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{axis_y}" stroke="#000000" stroke-dasharray="4 3"/><text x="{x:.1}" y="{}" text-anchor="middle">today</text></g>"##,
                TOP - 14.0,
                TOP - 18.0
            );
        }
        self.write_legend(&mut s, legend_y, &legend);
        s.push_str("</svg>\n");
        out.write_all(s.as_bytes())
    }

    fn write_axis(&self, s: &mut String, y: f64) {
        let _ = write!(
            s,
            r##"<g class="axis"><line x1="{LABEL}" y1="{y}" x2="{}" y2="{y}" stroke="#333333"/>"##,
            WIDTH - RIGHT
        );
        // a label every 1, 2 or 5 times a power of ten years, at most 16
        // of them: a year's label takes about 30 of the axis's 810 points
        let years = self.to.year() - self.from.year();
        let step = [1, 2, 5]
            .into_iter()
            .cycle()
            .zip((0..).flat_map(|power| [10_i32.pow(power); 3]))
            .map(|(digit, scale)| digit * scale)
            .find(|step| years / step <= 16)
            .unwrap_or(10_000);
        let mut year = self.from.year();
        while year <= self.to.year() {
            if let Some(tick) =
                NaiveDate::from_ymd_opt(year, 1, 1).filter(|d| *d >= self.from && *d <= self.to)
                && year % step == 0
            {
                let x = self.x(tick);
                let _ = write!(
                    s,
                    r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#CCCCCC"/><line x1="{x:.1}" y1="{y}" x2="{x:.1}" y2="{}" stroke="#333333"/><text class="tick" x="{x:.1}" y="{}" text-anchor="middle">{year}</text>"##,
                    TOP - 6.0,
                    y,
                    y + 5.0,
                    y + 18.0
                );
            }
            year += 1;
        }
        s.push_str("</g>");
    }

    /// Writes band `i` into `s`, and `s` out to `out` as it grows.
    fn write_band(
        &self,
        s: &mut String,
        out: &mut dyn io::Write,
        (i, band): (usize, &Band),
        texts: &mut dyn Texts,
        y: f64,
    ) -> io::Result<()> {
        let id = escape(band.pact.id.as_str());
        let name: String = band.pact.name.chars().take(38).collect();
        let name = if name.len() < band.pact.name.len() {
            format!("{name}…")
        } else {
            name
        };
        // a party's band, under its pact's: the party for a name
        let name = match &band.party {
            Some(party) => {
                let party = escape(party);
                let _ = write!(
                    s,
                    r##"<g class="band party" data-pact="{id}" data-party="{party}">"##
                );
                format!("party {party}")
            }
            None => {
                let _ = write!(s, r##"<g class="band" data-pact="{id}">"##);
                escape(&name)
            }
        };
        let _ = write!(
            s,
            r##"<text class="label" x="8" y="{}" font-weight="bold">{id}</text><text class="name" x="8" y="{}" fill="#555555" font-size="10">{}</text>"##,
            y + 12.0,
            y + 25.0,
            name
        );
        let _ = write!(
            s,
            r##"<rect x="{LABEL}" y="{y}" width="{:.1}" height="{BAND}" fill="#F4F4F4"/>"##,
            WIDTH - LABEL - RIGHT
        );
        for segment in &band.segments {
            self.write_segment(s, band, segment, || texts.text(i, &segment.mark), y)?;
            spill(s, out)?;
        }
        for note in &band.notes {
            let on = note.on.earliest();
            if on < self.from || on > self.to {
                continue;
            }
            let text = texts.text(i, &note.mark)?;
            let x = self.x(on);
            let tip = format!(
                "{}: note on {}: {}{}",
                band.pact.id,
                note.on,
                text.text,
                text.source
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            );
            let _ = write!(
                s,
                r##"<path class="note" data-on="{}" d="M{x:.1} {} l5 -7 h-10 z" fill="#000000"><title>{}</title></path>"##,
                note.on,
                y + BAND + 8.0,
                escape(&tip)
            );
            spill(s, out)?;
        }
        s.push_str("</g>");
        Ok(())
    }

    /// Writes a segment into `s`, its source asked of `text` if it is
    /// drawn.
    fn write_segment(
        &self,
        s: &mut String,
        band: &Band,
        segment: &Segment,
        text: impl FnOnce() -> io::Result<Text>,
        y: f64,
    ) -> io::Result<()> {
        let end = segment.to.unwrap_or(self.to).min(self.to);
        if end < self.from || segment.from > self.to {
            return Ok(());
        }
        let source = text()?.source;
        let (x1, x2) = (self.x(segment.from), self.x(end));
        let width = (x2 - x1).max(1.5);
        let status = segment.status;
        let tip = format!(
            "{}: {}{} from {} {}{}",
            band.pact.id,
            status,
            marks(segment),
            segment.date,
            segment
                .until
                .map_or("until now".to_owned(), |d| format!("to {d}")),
            source
                .as_deref()
                .map(|s| format!(" — {s}"))
                .unwrap_or_default()
        );
        let _ = write!(
            s,
            r##"<g class="segment" data-status="{}" data-from="{}" data-to="{}" data-scheduled="{}" data-reported="{}"><title>{}</title><rect x="{x1:.1}" y="{y}" width="{width:.1}" height="{BAND}" fill="{}"/>"##,
            status.as_str(),
            segment.date,
            segment.until.map(|d| d.to_string()).unwrap_or_default(),
            segment.scheduled,
            segment.reported,
            escape(&tip),
            fill(status)
        );
        if segment.scheduled {
            let _ = write!(
                s,
                r##"<rect x="{x1:.1}" y="{y}" width="{width:.1}" height="{BAND}" fill="url(#scheduled)" stroke="#000000" stroke-dasharray="3 2"/>"##
            );
        }
        if !segment.date.is_exact() {
            // the stretch it may or may not have held yet, faded
            let unsure = segment.date.latest().succ_opt().unwrap_or(NaiveDate::MAX);
            let x3 = self.x(unsure.min(end));
            let _ = write!(
                s,
                r##"<rect class="uncertain" x="{x1:.1}" y="{y}" width="{:.1}" height="{BAND}" fill="url(#uncertain)"/>"##,
                (x3 - x1).max(1.5)
            );
        }
        let words = status.words();
        if width > words.len() as f64 * 6.6 + 8.0 {
            let color = if light_text(status) {
                "#FFFFFF"
            } else {
                "#000000"
            };
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{}" fill="{color}" font-size="11">{words}</text>"##,
                x1 + 4.0,
                y + 19.0
            );
        }
        s.push_str("</g>");
        Ok(())
    }

    fn write_legend(&self, s: &mut String, top: f64, legend: &[(Key, f64, usize)]) {
        s.push_str(r##"<g class="legend">"##);
        for &(key, x, row) in legend {
            let y = top + row as f64 * LEGEND_ROW;
            let _ = match key {
                Key::Status(status) => write!(
                    s,
                    r##"<rect x="{x}" y="{}" width="14" height="14" fill="{}" stroke="#333333" stroke-width="0.5"/><text x="{}" y="{y}">{}</text>"##,
                    y - 11.0,
                    fill(status),
                    x + 18.0,
                    key.text()
                ),
                Key::Scheduled => write!(
                    s,
                    r##"<rect x="{x}" y="{}" width="14" height="14" fill="url(#scheduled)" stroke="#000000" stroke-dasharray="3 2"/><text x="{}" y="{y}">{}</text>"##,
                    y - 11.0,
                    x + 18.0,
                    key.text()
                ),
                Key::Uncertain => write!(
                    s,
                    r##"<rect x="{x}" y="{}" width="14" height="14" fill="#888888"/><rect x="{x}" y="{}" width="14" height="14" fill="url(#uncertain)" stroke="#333333" stroke-width="0.5"/><text x="{}" y="{y}">{}</text>"##,
                    y - 11.0,
                    y - 11.0,
                    x + 18.0,
                    key.text()
                ),
                Key::Note => write!(
                    s,
                    r##"<path d="M{} {} l5 -7 h-10 z" fill="#000000"/><text x="{}" y="{y}">{}</text>"##,
                    x + 7.0,
                    y + 1.0,
                    x + 18.0,
                    key.text()
                ),
            };
        }
        s.push_str("</g>");
    }

    /// Writes a self-contained HTML page to `out`: the SVG, then a table of
    /// every interval and note with its source as a link, each text asked
    /// of `texts` as it is written. Nothing is loaded from the network.
    ///
    /// # Errors
    ///
    /// What writing to `out`, or `texts`, returns.
    pub fn write_html(&self, out: &mut dyn io::Write, texts: &mut dyn Texts) -> io::Result<()> {
        let mut s =
            String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        let title = format!(
            "pactlog timeline: {}",
            self.bands
                .iter()
                .filter(|b| b.party.is_none())
                .map(|b| b.pact.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(s, "<title>{}</title>", escape(&title));
        s.push_str("<style>\nbody { font-family: sans-serif; margin: 2em; color: #222; }\nfigure { margin: 0 0 2em 0; }\ntable { border-collapse: collapse; font-size: 14px; }\nth, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid #ddd; vertical-align: top; }\nth { background: #f4f4f4; }
td:nth-child(2) { white-space: nowrap; }\n.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: -0.1em; border: 1px solid #333; }\n.segment:hover rect, .note:hover { opacity: 0.75; }\n</style>\n</head>\n<body>\n");
        let _ = writeln!(s, "<h1>{}</h1>", escape(&title));
        let _ = writeln!(
            s,
            "<p>From {} to {}; today is {}. Hover over a segment or a note for details; hatched segments are scheduled.</p>",
            self.from, self.to, self.today
        );
        s.push_str("<figure id=\"timeline\">\n");
        out.write_all(s.as_bytes())?;
        s.clear();
        self.write_svg(out, texts)?;
        s.push_str("</figure>\n<table id=\"events\">\n<thead><tr><th>pact</th><th>date</th><th>event</th><th>source</th></tr></thead>\n<tbody>\n");
        // the rows by date, and of one date by pact, each band's segments
        // before its notes: each row as its (date, the rank of its pact's
        // id, its place in its band), made when it is written
        let mut ranked: Vec<usize> = (0..self.bands.len()).collect();
        ranked.sort_by(|&a, &b| self.bands[a].pact.id.cmp(&self.bands[b].pact.id));
        let mut rows: Vec<(NaiveDate, u32, u32)> = Vec::new();
        for (rank, &b) in ranked.iter().enumerate() {
            let band = &self.bands[b];
            let dates = band.segments.iter().map(|g| g.from);
            let dates = dates.chain(band.notes.iter().map(|n| n.on.earliest()));
            rows.extend(
                dates
                    .enumerate()
                    .map(|(at, on)| (on, rank as u32, at as u32)),
            );
        }
        rows.sort_unstable();
        for (on, rank, at) in rows {
            let b = ranked[rank as usize];
            let band = &self.bands[b];
            let at = at as usize;
            let date = match band.segments.get(at) {
                Some(g) => g.date,
                None => band.notes[at - band.segments.len()].on,
            };
            debug_assert_eq!(date.earliest(), on);
            let (what, text) = match band.segments.get(at) {
                Some(g) => {
                    let what = format!(
                        "<span class=\"swatch\" style=\"background:{}\"></span>{}{}",
                        fill(g.status),
                        escape(g.status.words()),
                        marks(g)
                    );
                    (what, texts.text(b, &g.mark)?)
                }
                None => {
                    let note = &band.notes[at - band.segments.len()];
                    let text = texts.text(b, &note.mark)?;
                    (format!("note: {}", escape(&text.text)), text)
                }
            };
            // only web links become links, whatever a hand-edited stream holds
            let url = text.url.as_deref().filter(|u| {
                let u = u.to_ascii_lowercase();
                u.starts_with("https://") || u.starts_with("http://")
            });
            let source = match (text.source.as_deref(), url) {
                (Some(s), Some(u)) => format!("<a href=\"{}\">{}</a>", escape(u), escape(s)),
                (None, Some(u)) => format!("<a href=\"{}\">{}</a>", escape(u), escape(u)),
                (Some(s), None) => escape(s),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{date}</td><td>{what}</td><td>{source}</td></tr>",
                escape(band.pact.id.as_str())
            );
            spill(&mut s, out)?;
        }
        s.push_str("</tbody>\n</table>\n</body>\n</html>\n");
        out.write_all(s.as_bytes())
    }
}

/// Writes out what `s` holds once it is long enough to be worth a write.
fn spill(s: &mut String, out: &mut dyn io::Write) -> io::Result<()> {
    if s.len() >= 64 * 1024 {
        out.write_all(s.as_bytes())?;
        s.clear();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn what_xml_cannot_hold_is_replaced_and_markup_escaped() {
        assert_eq!(
            escape("a\u{FFFF}b\u{FFFE}c\u{1}d"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d"
        );
        assert_eq!(escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(escape("line\nnext\ttab é"), "line\nnext\ttab é");
    }
}

//! `pactlog timeline`: a picture of the status intervals, as SVG or as a
//! self-contained HTML page.

use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::chart::{Band, Chart, Text, Texts};
use crate::cli::destination;
use crate::cli::output::path_text;
use crate::cli::{AsOfArg, Context, event_of, registered_by, reported, streams_failed};
use crate::log::store::{Lines, Store};
use crate::model::error::Error;
use crate::model::event::EventBody;
use crate::model::pact::PactId;
use crate::model::time::parse_date;
use crate::replay::{Mark, Outline};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pactlog timeline gsomia --svg gsomia.svg\n  \
    pactlog timeline --from 2015-01-01 --to 2025-01-01 --html timeline.html"
)]
#[command(group(clap::ArgGroup::new("output").required(true).multiple(true).args(["svg", "html"])))]
pub struct Args {
    /// The pacts to draw (ids or aliases); all when none is given.
    pacts: Vec<String>,
    /// The first day shown: YYYY-MM-DD (default: the start of the first
    /// year with an event).
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// The last day shown (default: the end of the year of the last event,
    /// or of today).
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Under each pact's band, one band per party: its timeline, the
    /// pact's statuses and its own.
    #[arg(long)]
    parties: bool,
    #[command(flatten)]
    as_of: AsOfArg,
    /// Write the SVG picture to FILE (- for standard output).
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Write a self-contained HTML page to FILE (- for standard output).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Say what was drawn, as JSON: the days shown, the pacts and the files
    /// written.
    #[arg(long)]
    json: bool,
}

/// What `timeline --json` says it drew.
#[derive(Debug, Serialize)]
struct Drawn<'a> {
    from: NaiveDate,
    to: NaiveDate,
    pacts: Vec<&'a PactId>,
    files: Vec<Written>,
}

/// A picture written to a file.
#[derive(Debug, Serialize)]
struct Written {
    format: &'static str,
    /// The path as given (a path that is not UTF-8, with its odd bytes
    /// replaced, so that the JSON stays whole).
    file: String,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let from = self
            .from
            .as_deref()
            .map(|d| parse_date(d, ctx.today))
            .transpose()?;
        let to = self
            .to
            .as_deref()
            .map(|d| parse_date(d, ctx.today))
            .transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(Error::Invalid {
                message: format!("--from {from} is not before --to {to}"),
                hint: Some("give the earlier date as --from".into()),
            });
        }
        if let (Some(svg), Some(html)) = (&self.svg, &self.html)
            && same_place(svg, html)
        {
            let (target, hint) = if svg.as_os_str() == "-" {
                ("standard output", "write one of them to a file")
            } else {
                ("the same file", "give each its own file")
            };
            return Err(Error::Usage {
                message: format!("--svg and --html would both write to {target}"),
                hint: Some(hint.into()),
            });
        }
        let to_stdout = [&self.svg, &self.html]
            .iter()
            .any(|path| path.as_deref().is_some_and(|p| p.as_os_str() == "-"));
        if self.json && to_stdout {
            return Err(Error::Usage {
                message: "--json says which files were written, but - writes the picture \
                          to standard output"
                    .into(),
                hint: Some("give a file name, or leave out --json".into()),
            });
        }
        // nothing is read or drawn for a file that must not be written
        for path in [&self.svg, &self.html].into_iter().flatten() {
            if path.as_os_str() != "-" {
                destination::check(&ctx.store, path)?;
            }
        }
        let when = self.as_of.parse(ctx.now)?;
        let ids = ctx.store.select(&self.pacts)?;
        // each stream folded into its timeline's marks: the picture holds
        // no text, and each segment's and note's is read again as it is
        // drawn
        let at = when.as_ref().map(|w| w.at);
        let store = &ctx.store;
        let folded = crate::log::par::map(&ids, |id| {
            Outline::of_stream(store, id, at).map(|(folded, _, outline)| (folded, outline))
        });
        let (streams, failed) = reported(ctx, folded);
        let mut bands = Vec::new();
        let mut read = Vec::new();
        for (stream, outline) in &streams {
            match registered_by(&stream.pact.id, outline, when.as_ref()) {
                Ok(()) => {
                    // the pact as it stood then
                    let pact = outline.pact().unwrap_or(&stream.pact);
                    bands.push(Band::new(pact, outline, ctx.today));
                    read.push((stream.pact.id.clone(), stream.len));
                    let parties = pact.parties.iter().filter(|_| self.parties);
                    for party in parties {
                        let id = &stream.pact.id;
                        let (_, _, of_party) =
                            Outline::of_party_stream(&ctx.store, id, at, Some(party))?;
                        let band = Band::of_party(pact, party, &of_party, ctx.today);
                        bands.push(band);
                        // its texts from the stream as the pact's band read it
                        read.push((id.clone(), stream.len));
                    }
                }
                // a pact not registered yet then is simply not drawn
                Err(_) if self.pacts.is_empty() => {}
                Err(e) => return Err(e),
            }
        }
        drop(streams);
        let chart = Chart::new(bands, from, to, ctx.today);
        let mut texts = Reread {
            store: &ctx.store,
            streams: read,
            open: Vec::new(),
            failed: None,
        };
        let svg: Render = Chart::write_svg;
        let mut files = Vec::new();
        for (format, path, render) in [
            ("svg", &self.svg, svg),
            ("html", &self.html, Chart::write_html),
        ] {
            let Some(path) = path else { continue };
            if path.as_os_str() == "-" {
                let written = render(&chart, ctx.out, &mut texts);
                written.map_err(|e| texts.failed.take().unwrap_or_else(|| e.into()))?;
                continue;
            }
            // drawn aside first, then copied into the file: a picture that
            // cannot be finished (a stream changed meanwhile) leaves the
            // file as it was
            let staged = tempfile::tempfile().map_err(Error::io("create a file for", path))?;
            let mut out = BufWriter::with_capacity(64 * 1024, staged);
            let written = render(&chart, &mut out, &mut texts).and_then(|()| out.flush());
            written.map_err(|e| {
                texts
                    .failed
                    .take()
                    .unwrap_or_else(|| Error::io("write", path)(e))
            })?;
            let mut staged = out
                .into_inner()
                .map_err(|e| Error::io("write", path)(e.into_error()))?;
            staged
                .seek(SeekFrom::Start(0))
                .map_err(Error::io("write", path))?;
            let mut file = destination::create(&ctx.store, path)?;
            io::copy(&mut staged, &mut file).map_err(Error::io("write", path))?;
            if self.json {
                let file = path.to_string_lossy().into_owned();
                files.push(Written { format, file });
            } else if to_stdout {
                // stdout holds the other picture: say it beside it
                writeln!(ctx.err, "wrote {}", path_text(path))?;
            } else {
                writeln!(ctx.out, "wrote {}", path_text(path))?;
            }
        }
        if self.json {
            ctx.json(&Drawn {
                from: chart.from,
                to: chart.to,
                pacts: chart
                    .bands
                    .iter()
                    .filter(|b| b.party.is_none())
                    .map(|b| &b.pact.id)
                    .collect(),
                files,
            })?;
        }
        streams_failed(failed)
    }
}

/// How a picture is written.
type Render = fn(&Chart, &mut dyn Write, &mut dyn Texts) -> io::Result<()>;

/// The texts of the bands' events, read again from their streams as they
/// are drawn; the streams of the bands last asked about stay open.
struct Reread<'a> {
    store: &'a Store,
    /// Each band's pact, and how much of its stream was checked.
    streams: Vec<(PactId, u64)>,
    /// The streams open, the one last asked about last.
    open: Vec<(usize, Lines)>,
    /// The error that stopped the drawing.
    failed: Option<Error>,
}

/// How many streams [`Reread`] keeps open.
const OPEN: usize = 8;

impl Reread<'_> {
    fn read(&mut self, band: usize, mark: &Mark) -> Result<Text, Error> {
        match self.open.iter().position(|(b, _)| *b == band) {
            // asked about again: the last to be let go
            Some(at) => {
                let open = self.open.remove(at);
                self.open.push(open);
            }
            None => {
                if self.open.len() == OPEN {
                    self.open.remove(0);
                }
                let (id, len) = &self.streams[band];
                self.open.push((band, self.store.lines(id, *len)?));
            }
        }
        let (_, lines) = self.open.last_mut().expect("a stream just put last");
        let event = event_of(lines, mark)?;
        Ok(match event.body {
            EventBody::Status(change) => Text {
                text: String::new(),
                source: change.source,
                url: change.url,
            },
            EventBody::Note(note) => Text {
                text: note.text,
                source: note.source,
                url: note.url,
            },
            _ => unreachable!("a mark is of a status or a note"),
        })
    }
}

impl Texts for Reread<'_> {
    fn text(&mut self, band: usize, mark: &Mark) -> io::Result<Text> {
        self.read(band, mark).map_err(|e| {
            let message = e.to_string();
            self.failed = Some(e);
            io::Error::other(message)
        })
    }
}

/// Whether two output paths name one place: both `-`, or one file however
/// each is spelled (`./a.svg` and `a.svg`, or through a link to its
/// directory).
fn same_place(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    let place = |p: &Path| {
        let dir = match p.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        Some(dir.canonicalize().ok()?.join(p.file_name()?))
    };
    let stdout = |p: &Path| p.as_os_str() == "-";
    !stdout(a) && !stdout(b) && place(a).is_some_and(|a| Some(a) == place(b))
}

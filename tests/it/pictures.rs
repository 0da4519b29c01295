//! The timeline as pictures: SVG and HTML, parsed back with an XML and an
//! HTML parser, against what `history` says of the same store.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Local};
use pactlog::{Event, EventBody};
use scraper::{Html, Selector};
use serde_json::Value;

use crate::harness::{Files, Store};

/// Text that would break markup or scripts if it were pasted in raw.
const HOSTILE: &str = "<script>alert(1)</script>&\"q\"']]>";

/// A day far enough ahead to be scheduled whenever the tests run.
fn in_a_year() -> String {
    (Local::now().date_naive() + Duration::days(400)).to_string()
}

/// The shipped record, a scheduled expiry of the white list (lifted again
/// in 2023, so it may expire), and a pact whose name, source and note are
/// hostile text; `output_formats` reads it too.
pub(crate) fn pictured() -> Store {
    let store = Store::shipped();
    store.ok(&[
        "append",
        "jp-kr-white-list",
        "expired",
        "--on",
        &in_a_year(),
        "--source",
        "a scheduled expiry",
    ]);
    store.ok(&["register", "hostile", "--name", HOSTILE]);
    store.ok(&[
        "append",
        "hostile",
        "signed",
        "--on",
        "2017-05-01",
        "--source",
        HOSTILE,
    ]);
    store.ok(&[
        "append",
        "hostile",
        "in_force",
        "--on",
        "2018-05-01",
        "--source",
        "a plain source",
        "--url",
        "https://example.org/a?b=1&c=\"2\"",
    ]);
    store.ok(&[
        "note",
        "hostile",
        HOSTILE,
        "--on",
        "2020-05-01",
        "--source",
        HOSTILE,
    ]);
    store
}

const PACTS: [&str; 6] = [
    "gsomia",
    "hostile",
    "jp-kr-three-materials",
    "jp-kr-white-list",
    "kr-jp-white-list",
    "wto-ds590",
];

/// The `(status, from, to)` of a pact's intervals, `to` empty for the open
/// one, and the dates of its notes, from `history --json`.
fn history(store: &Store, pact: &str) -> (Vec<(String, String, String)>, Vec<String>) {
    let history = store.json(&["history", pact]);
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let intervals = history["intervals"]
        .as_array()
        .expect("intervals")
        .iter()
        .map(|i| (text(&i["status"]), text(&i["from"]), text(&i["to"])))
        .collect();
    let notes = history["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| text(&n["on"]))
        .collect();
    (intervals, notes)
}

fn has_class(node: &roxmltree::Node<'_, '_>, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|c| c == class))
}

fn with_class<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'a str,
    class: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> + 'a {
    node.descendants()
        .filter(move |n| n.tag_name().name() == name && has_class(n, class))
}

/// Every text node under `node`, joined.
fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants()
        .filter(roxmltree::Node::is_text)
        .filter_map(|n| n.text())
        .collect()
}

#[test]
fn the_svg_has_a_band_per_pact_and_a_segment_per_interval_as_history_gives_them() {
    let store = pictured();
    let files = Files::new();
    let svg = files.path("timeline.svg");
    let stdout = store.ok(&["timeline", "--svg", &svg]);
    assert_eq!(files.redact(&stdout), "wrote timeline.svg\n");
    let text = files.read("timeline.svg");
    let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );

    let bands: Vec<_> = with_class(root, "g", "band").collect();
    let drawn: Vec<_> = bands
        .iter()
        .filter_map(|b| b.attribute("data-pact"))
        .collect();
    assert_eq!(drawn, PACTS);
    for band in &bands {
        let pact = band.attribute("data-pact").expect("a pact");
        let (intervals, notes) = history(&store, pact);
        let segments: Vec<_> = with_class(*band, "g", "segment")
            .map(|g| {
                let attr = |a| g.attribute(a).unwrap_or_else(|| panic!("{pact}: no {a}"));
                (
                    attr("data-status").to_owned(),
                    attr("data-from").to_owned(),
                    attr("data-to").to_owned(),
                )
            })
            .collect();
        assert_eq!(segments, intervals, "{pact}");
        let markers: Vec<_> = with_class(*band, "path", "note")
            .map(|n| n.attribute("data-on").expect("a date").to_owned())
            .collect();
        assert_eq!(markers, notes, "{pact}");
        // the band is labelled with the pact's id
        let label = with_class(*band, "text", "label").next().expect("a label");
        assert_eq!(text_of(label), pact);
    }

    // a legend with every status drawn, the hatching and the note marker
    let legend = with_class(root, "g", "legend").next().expect("a legend");
    let legend_text: Vec<_> = legend
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .map(text_of)
        .collect();
    for word in [
        "signed",
        "in force",
        "termination notified",
        "conditionally suspended",
        "normalized",
        "suspended",
        "expired",
        "withdrawn",
        "scheduled",
        "note",
    ] {
        assert!(
            legend_text.iter().any(|t| t == word),
            "{word}: {legend_text:?}"
        );
    }
    assert!(
        !legend_text.iter().any(|t| t == "terminated"),
        "{legend_text:?}"
    );

    // year ticks, evenly stepped, from the first year with an event
    let ticks: Vec<i32> = with_class(root, "text", "tick")
        .map(|t| text_of(t).parse().expect("a year"))
        .collect();
    assert_eq!(ticks.first(), Some(&2004), "{ticks:?}");
    let last = Local::now().date_naive() + Duration::days(400);
    assert!(
        *ticks.last().expect("a tick") >= last.year() - 1,
        "{ticks:?}"
    );
    let step = ticks[1] - ticks[0];
    assert!(ticks.windows(2).all(|w| w[1] - w[0] == step), "{ticks:?}");
}

#[test]
fn a_scheduled_status_is_hatched_and_no_other() {
    let store = pictured();
    let svg = store.ok(&["timeline", "--svg", "-"]);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    let pattern = root
        .descendants()
        .find(|n| n.tag_name().name() == "pattern")
        .expect("a hatching pattern");
    assert_eq!(pattern.attribute("id"), Some("scheduled"));
    let hatched = |g: &roxmltree::Node<'_, '_>| {
        g.descendants().any(|n| {
            n.tag_name().name() == "rect" && n.attribute("fill") == Some("url(#scheduled)")
        })
    };
    let segments: Vec<_> = with_class(root, "g", "segment").collect();
    let scheduled: Vec<_> = segments
        .iter()
        .filter(|g| g.attribute("data-scheduled") == Some("true"))
        .collect();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].attribute("data-status"), Some("expired"));
    assert_eq!(
        scheduled[0].attribute("data-from"),
        Some(in_a_year().as_str())
    );
    assert!(hatched(scheduled[0]));
    let title = scheduled[0]
        .children()
        .find(|n| n.tag_name().name() == "title")
        .expect("a tooltip");
    assert!(text_of(title).contains("(scheduled)"), "{}", text_of(title));
    for g in segments
        .iter()
        .filter(|g| g.attribute("data-scheduled") != Some("true"))
    {
        assert_eq!(g.attribute("data-scheduled"), Some("false"));
        assert!(!hatched(g), "{:?}", g.attribute("data-from"));
    }
}

#[test]
fn a_status_known_only_from_reports_says_so_in_the_svg_and_the_html() {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P"]);
    store.ok(&["append", "p", "in-force", "--on", "2020-01-01"]);
    store.ok(&[
        "append",
        "p",
        "suspended",
        "--on",
        "2021-01-01",
        "--reported",
    ]);
    let svg = store.ok(&["timeline", "--svg", "-"]);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let segments: Vec<_> = with_class(doc.root_element(), "g", "segment")
        .map(|g| {
            let title = g.children().find(|n| n.tag_name().name() == "title");
            (
                g.attribute("data-status").unwrap_or_default().to_owned(),
                g.attribute("data-reported").unwrap_or_default().to_owned(),
                text_of(title.expect("a tooltip")).contains("(reported)"),
            )
        })
        .collect();
    assert_eq!(
        segments,
        [
            ("in_force".to_owned(), "false".to_owned(), false),
            ("suspended".to_owned(), "true".to_owned(), true),
        ]
    );
    let files = Files::new();
    store.ok(&["timeline", "--html", &files.path("p.html")]);
    let page = Html::parse_document(&files.read("p.html"));
    let events: Vec<String> = page
        .select(&select("#events tbody tr td:nth-child(3)"))
        .map(|td| td.text().collect())
        .collect();
    assert_eq!(events, ["in force", "suspended (reported)"]);
}

#[test]
fn hostile_text_is_escaped_in_the_svg_and_comes_back_as_text() {
    let store = pictured();
    let svg = store.ok(&["timeline", "hostile", "--svg", "-"]);
    let doc = roxmltree::Document::parse(&svg).expect("hostile text leaves the SVG well-formed");
    assert!(!doc.descendants().any(|n| n.tag_name().name() == "script"));
    assert!(!svg.contains("<script"), "{svg}");
    let root = doc.root_element();
    let band = with_class(root, "g", "band").next().expect("a band");
    let name = with_class(band, "text", "name").next().expect("the name");
    assert_eq!(text_of(name), HOSTILE);
    let titles: Vec<String> = band
        .descendants()
        .filter(|n| n.tag_name().name() == "title")
        .map(text_of)
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t == &format!("hostile: note on 2020-05-01: {HOSTILE} ({HOSTILE})")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.ends_with(&format!(" — {HOSTILE}"))),
        "{titles:?}"
    );
}

#[test]
fn from_and_to_limit_the_axis() {
    let store = pictured();
    let svg = store.ok(&[
        "timeline",
        "gsomia",
        "--from",
        "2015-01-01",
        "--to",
        "2025-01-01",
        "--svg",
        "-",
    ]);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    let ticks: Vec<String> = with_class(root, "text", "tick").map(text_of).collect();
    let years: Vec<String> = (2015..=2025).map(|y| y.to_string()).collect();
    assert_eq!(ticks, years);
    // one band: only the pact asked for
    assert_eq!(with_class(root, "g", "band").count(), 1);

    // a window inside the record: only the intervals that reach into it
    let svg = store.ok(&[
        "timeline",
        "gsomia",
        "--from",
        "2019-01-01",
        "--to",
        "2021-01-01",
        "--svg",
        "-",
    ]);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    let ticks: Vec<String> = with_class(root, "text", "tick").map(text_of).collect();
    assert_eq!(ticks, ["2019", "2020", "2021"]);
    let statuses: Vec<_> = with_class(root, "g", "segment")
        .filter_map(|g| g.attribute("data-status"))
        .collect();
    assert_eq!(
        statuses,
        [
            "in_force",
            "termination_notified",
            "conditionally_suspended"
        ]
    );
    let notes: Vec<_> = with_class(root, "path", "note")
        .filter_map(|n| n.attribute("data-on"))
        .collect();
    assert_eq!(notes, ["2019-08-22", "2019-11-21"]);
}

#[test]
fn from_after_to_is_refused() {
    let store = pictured();
    let files = Files::new();
    let svg = files.path("timeline.svg");
    let stderr = store.refuses(
        &[
            "timeline",
            "--from",
            "2020-01-01",
            "--to",
            "2019-01-01",
            "--svg",
            &svg,
        ],
        1,
    );
    assert_eq!(
        stderr,
        "error: --from 2020-01-01 is not before --to 2019-01-01\n\
         hint: give the earlier date as --from\n"
    );
    assert!(!std::path::Path::new(&svg).exists());
    // and a timeline needs somewhere to draw, one picture to a place
    store.refuses(&["timeline"], 2);
    assert_eq!(
        store.refuses(&["timeline", "--svg", "-", "--html", "-"], 2),
        "error: --svg and --html would both write to standard output\n\
         hint: write one of them to a file\n"
    );
    // however the file is spelled
    let dir = std::path::Path::new(&svg).parent().expect("a directory");
    let spelled = dir.join(".").join("timeline.svg").display().to_string();
    for other in [&svg, &spelled] {
        assert_eq!(
            store.refuses(&["timeline", "--svg", &svg, "--html", other], 2),
            "error: --svg and --html would both write to the same file\n\
             hint: give each its own file\n"
        );
    }
    assert!(!std::path::Path::new(&svg).exists());
}

#[test]
fn the_axis_runs_to_the_end_of_the_last_year_with_a_label_every_so_many_years() {
    let store = Store::new();
    store.ok(&["register", "old", "--name", "Peace of Westphalia"]);
    store.ok(&["append", "old", "in-force", "--on", "1648-10-24"]);
    store.ok(&["register", "far", "--name", "Far"]);
    store.ok(&["append", "far", "signed", "--on", "9999-12-31"]);
    let files = Files::new();
    // today is drawn too
    let year = Local::now().year();
    for (pacts, from, to) in [
        (
            &["old"][..],
            "1648-01-01".to_owned(),
            format!("{year}-12-31"),
        ),
        (&["far"], format!("{year}-01-01"), "9999-12-31".to_owned()),
        (
            &["old", "far"],
            "1648-01-01".to_owned(),
            "9999-12-31".to_owned(),
        ),
    ] {
        let svg = files.path("t.svg");
        let args = [&["timeline"], pacts, &["--svg", &svg]].concat();
        let drawn = store.json(&args);
        assert_eq!(
            (&drawn["from"], &drawn["to"]),
            (&Value::from(from), &Value::from(to))
        );
        let doc = files.read("t.svg");
        let doc = roxmltree::Document::parse(&doc).expect("well-formed XML");
        let ticks: Vec<f64> = with_class(doc.root_element(), "text", "tick")
            .map(|t| t.attribute("x").expect("x").parse().expect("a number"))
            .collect();
        assert!(
            (2..=17).contains(&ticks.len()),
            "{pacts:?}: {} labels",
            ticks.len()
        );
        let closest = ticks
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::MAX, f64::min);
        assert!(closest >= 40.0, "{pacts:?}: labels {closest} points apart");
    }
}

#[test]
fn svg_dash_writes_the_same_picture_to_standard_output() {
    let store = pictured();
    let files = Files::new();
    let svg = files.path("timeline.svg");
    store.ok(&["timeline", "--svg", &svg]);
    assert_eq!(
        store.ok(&["timeline", "--svg", "-"]),
        files.read("timeline.svg")
    );
    // with a page written beside it, standard output is still the picture
    let html = files.path("timeline.html");
    let run = store.run(&["timeline", "--svg", "-", "--html", &html]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, files.read("timeline.svg"));
    assert_eq!(run.stderr, format!("wrote {html}\n"));
}

#[test]
fn timeline_json_says_what_it_drew_and_where() {
    let store = pictured();
    let files = Files::new();
    let (svg, html) = (files.path("t.svg"), files.path("t.html"));
    let drawn = store.json(&[
        "timeline",
        "gsomia",
        "--from",
        "2015-01-01",
        "--to",
        "2025-01-01",
        "--svg",
        &svg,
        "--html",
        &html,
    ]);
    assert_eq!(
        drawn,
        serde_json::json!({
            "from": "2015-01-01",
            "to": "2025-01-01",
            "pacts": ["gsomia"],
            "files": [{"format": "svg", "file": svg}, {"format": "html", "file": html}],
        })
    );
    assert!(files.read("t.svg").starts_with("<svg"));
    // with -, the picture itself is the output: JSON cannot be too
    let elsewhere = files.path("u.svg");
    let stderr = store.refuses(
        &["timeline", "--svg", &elsewhere, "--html", "-", "--json"],
        2,
    );
    assert!(
        stderr.starts_with("error: --json says which files"),
        "{stderr}"
    );
    assert!(!std::path::Path::new(&elsewhere).exists());
}

/// The HTML timeline of `pictured`, with the white list's last note's URL
/// hand-edited into a `javascript:` address (which `note --url` refuses).
fn html_page() -> (Store, String) {
    let store = pictured();
    store.ok(&[
        "note",
        "hostile",
        "a note with a link",
        "--on",
        "2021-05-01",
        "--source",
        "a sly source",
        "--url",
        "https://example.org/sly",
    ]);
    let mut lines = store.lines("hostile");
    let last = lines.last_mut().expect("a line");
    let mut event = Event::from_line(last.as_bytes()).expect("a stored event");
    match &mut event.body {
        EventBody::Note(note) => note.url = Some("javascript:alert(1)".into()),
        other => panic!("not a note: {other:?}"),
    }
    *last = event.to_line();
    std::fs::write(store.stream("hostile"), lines.join("\n") + "\n").expect("edit the stream");
    assert_eq!(
        store.run(&["verify", "hostile"]).code,
        0,
        "the edit is sealed"
    );
    let files = Files::new();
    let html = files.path("timeline.html");
    let stdout = store.ok(&["timeline", "--html", &html]);
    assert_eq!(files.redact(&stdout), "wrote timeline.html\n");
    let page = files.read("timeline.html");
    (store, page)
}

fn select(s: &str) -> Selector {
    Selector::parse(s).expect("a selector")
}

#[test]
fn the_html_page_holds_the_svg_and_a_table_of_intervals_and_notes_with_links() {
    let (store, page) = html_page();
    let html = Html::parse_document(&page);
    assert!(html.errors.is_empty(), "{:?}", html.errors);
    let svg: Vec<_> = html.select(&select("figure svg")).collect();
    assert_eq!(svg.len(), 1, "the SVG is inline");
    assert_eq!(svg[0].select(&select("g.band")).count(), PACTS.len());

    // a row per interval and note, with its pact and date
    let mut expected = Vec::new();
    for pact in PACTS {
        let (intervals, notes) = history(&store, pact);
        for (_, from, _) in intervals {
            expected.push((from, pact.to_owned()));
        }
        for on in notes {
            expected.push((on, pact.to_owned()));
        }
    }
    expected.sort();
    let rows: Vec<_> = html.select(&select("table#events tbody tr")).collect();
    let cell = select("td");
    let got: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = r.select(&cell).map(|c| c.text().collect()).collect();
            (cells[1].clone(), cells[0].clone())
        })
        .collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(got, sorted, "by date, then pact");
    assert_eq!(got, expected);

    // sources are links, but only to web addresses
    let mut links = BTreeMap::new();
    let mut anchors_seen = 0;
    for row in &rows {
        let cells: Vec<_> = row.select(&cell).collect();
        let source = cells[3];
        let text: String = source.text().collect();
        let anchors: Vec<_> = source.select(&select("a")).collect();
        match anchors.as_slice() {
            [] => {}
            [a] => {
                anchors_seen += 1;
                links.insert(
                    text.clone(),
                    a.value().attr("href").expect("an href").to_owned(),
                );
            }
            more => panic!("{} links in one cell", more.len()),
        }
        if text == "a sly source" {
            assert!(anchors.is_empty(), "a javascript: URL became a link");
        }
    }
    assert_eq!(links["a plain source"], "https://example.org/a?b=1&c=\"2\"");
    assert!(
        links
            .values()
            .all(|u| u.starts_with("https://") || u.starts_with("http://"))
    );
    // every shipped event with a URL is linked
    let shipped_urls = page.matches("<a href=\"http").count();
    assert_eq!(shipped_urls, anchors_seen);
    assert!(anchors_seen > 10, "{links:?}");
}

#[test]
fn the_html_page_loads_nothing_from_the_network_and_escapes_hostile_text() {
    let (_store, page) = html_page();
    let html = Html::parse_document(&page);
    assert_eq!(html.select(&select("script")).count(), 0);
    assert_eq!(html.select(&select("link")).count(), 0);
    assert_eq!(
        html.select(&select("iframe, img, object, embed")).count(),
        0
    );
    assert_eq!(html.select(&select("[src]")).count(), 0);
    assert!(!page.contains("src="), "no src attribute anywhere");
    assert!(!page.contains("@import") && !page.contains("url(http"));
    // the only links are the sources' in the table
    let table_links = html.select(&select("table#events a[href]")).count();
    assert_eq!(html.select(&select("[href]")).count(), table_links);
    assert!(!page.contains("xlink:href"));

    // the hostile text comes back as text: in the band's name, the table's
    // name-free cells, the note and the source
    let name = html
        .select(&select("g.band[data-pact=\"hostile\"] text.name"))
        .next()
        .expect("the hostile band's name");
    assert_eq!(name.text().collect::<String>(), HOSTILE);
    let cells: Vec<String> = html
        .select(&select("table#events td"))
        .map(|c| c.text().collect())
        .collect();
    assert!(cells.contains(&format!("note: {HOSTILE}")), "{cells:?}");
    assert!(cells.contains(&HOSTILE.to_owned()), "{cells:?}");
    let title = html.select(&select("title")).next().expect("a page title");
    assert!(
        title
            .text()
            .collect::<String>()
            .starts_with("pactlog timeline: ")
    );
}

#[test]
fn control_characters_in_text_leave_the_svg_and_html_well_formed() {
    let store = Store::new();
    store.ok(&["register", "bell", "--name", "bell\u{7} and \u{1b}[31mred"]);
    store.ok(&["note", "bell", "tab\there\u{1}", "--on", "2020-01-01"]);
    let svg = store.ok(&["timeline", "--svg", "-"]);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let name = with_class(doc.root_element(), "text", "name")
        .next()
        .expect("the name");
    assert!(text_of(name).starts_with("bell"), "{}", text_of(name));
    assert!(!svg.contains('\u{1b}') && !svg.contains('\u{7}') && !svg.contains('\u{1}'));
    let html = store.ok(&["timeline", "--html", "-"]);
    assert!(Html::parse_document(&html).errors.is_empty());
    assert!(!html.contains('\u{1b}'));
}

#[test]
fn a_legend_of_every_status_wraps_within_the_picture() {
    let store = Store::new();
    store.ok(&["register", "all", "--name", "Every status"]);
    let statuses = [
        "proposed",
        "signed",
        "in-force",
        "termination-notified",
        "conditionally-suspended",
        "normalized",
        "suspended",
        "terminated",
        "expired",
        "withdrawn",
    ];
    for (i, status) in statuses.iter().enumerate() {
        let on = format!("{}-01-01", 2010 + i);
        store.ok(&["append", "all", status, "--on", &on, "--force"]);
    }
    let svg = store.ok(&["timeline", "--svg", "-"]);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    let number = |n: roxmltree::Node<'_, '_>, a: &str| -> f64 {
        n.attribute(a)
            .expect("an attribute")
            .parse()
            .expect("a number")
    };
    let (width, height) = (number(root, "width"), number(root, "height"));
    let legend = with_class(root, "g", "legend").next().expect("a legend");
    let texts: Vec<_> = legend
        .children()
        .filter(|n| n.tag_name().name() == "text")
        .collect();
    assert_eq!(
        texts.len(),
        statuses.len() + 1,
        "every status, and the note"
    );
    for text in &texts {
        // about 6.2 points a letter at this size
        let right = number(*text, "x") + text_of(*text).len() as f64 * 6.2;
        assert!(right <= width, "{:?} ends at {right}", text_of(*text));
        assert!(number(*text, "y") < height, "{:?}", text_of(*text));
    }
    let rows: std::collections::BTreeSet<i64> =
        texts.iter().map(|t| number(*t, "y") as i64).collect();
    assert!(rows.len() > 1, "the keys take more than one row");
}

//! Writes a deterministic benchmark history as an import CSV: N pacts with
//! M status events each, every step allowed by the lifecycle, with sources,
//! links and notes of realistic length (about 390 bytes a stored line);
//! and, when asked, the same events as a pactlog store and as a SQLite
//! database.
//!
//!     cargo run --release --example generate -- --pacts 20000 --events 50 \
//!         --out bench/data/events.csv --store bench/data/store --db bench/data/events.db
//!
//! The store is made by `pactlog import` of the CSV (the same code, run in
//! this process), the database by `sqlite3` running `bench/sqlite.sql`.
//!
//! Consecutive statuses of a pact are 1 to `--step` days apart (300 by
//! default); one pact of a million events takes `--step 1`, so that its
//! dates stay within the calendar chrono knows.
//!
//! The same seed gives the same file, byte for byte. The columns are those of
//! `pactlog import` (`pact,name,status,on,source,url,note`); the rows of one
//! pact are contiguous and in date order, so a row's position within its
//! pact is its event's seq after the registration.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{Days, NaiveDate};

/// A small, fast, deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// After `signed` and `in_force`, statuses go round this cycle, each step
/// allowed by the lifecycle.
const CYCLE: [&str; 5] = [
    "in_force",
    "termination_notified",
    "conditionally_suspended",
    "normalized",
    "suspended",
];

const OUTLETS: [&str; 8] = [
    "Ministry of Foreign Affairs",
    "Official Gazette",
    "Reuters",
    "Associated Press",
    "Yonhap News Agency",
    "Kyodo News",
    "United Nations Treaty Collection",
    "Ministry of Trade",
];

const TOPICS: [&str; 6] = [
    "announces the status of the agreement after consultations",
    "publishes the notice exchanged through diplomatic channels",
    "reports the decision of the cabinet on the agreement",
    "confirms the change in the application of the agreement",
    "releases the text of the note verbale on the agreement",
    "details the measures taken under the agreement",
];

fn main() {
    let mut pacts: u64 = 20_000;
    let mut events: u64 = 50;
    let mut seed: u64 = 42;
    let mut step: u64 = 300;
    let mut out = String::from("bench/data/events.csv");
    let mut store = None;
    let mut db = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| usage(&arg));
        match arg.as_str() {
            "--pacts" => pacts = value.parse().unwrap_or_else(|_| usage(&arg)),
            "--events" => events = value.parse().unwrap_or_else(|_| usage(&arg)),
            "--seed" => seed = value.parse().unwrap_or_else(|_| usage(&arg)),
            "--step" => step = value.parse().unwrap_or_else(|_| usage(&arg)),
            "--out" => out = value,
            "--store" => store = Some(value),
            "--db" => db = Some(value),
            _ => usage(&arg),
        }
    }
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir).expect("create the output directory");
    }
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&out).expect("create the CSV"));
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    writeln!(w, "pact,name,status,on,source,url,note").expect("write");
    for p in 0..pacts {
        let id = format!("p{p:06}");
        let name = format!(
            "Agreement {p} between the Government of State {} and the Government of State {} on {}",
            rng.below(190) + 1,
            rng.below(190) + 1,
            rng.pick(&[
                "trade",
                "security cooperation",
                "export controls",
                "fisheries",
                "aviation",
                "investment"
            ])
        );
        let mut day = 7_300 + rng.below(10_950); // from about 1990 to 2020, in days since 1970
        for e in 0..events {
            let status = match e {
                0 => "signed",
                _ => CYCLE[((e - 1) % CYCLE.len() as u64) as usize],
            };
            day += 1 + rng.below(if e == 0 { 30 } else { step.max(1) });
            let date = (epoch + Days::new(day)).to_string();
            let outlet = rng.pick(&OUTLETS);
            let source = format!(
                "{outlet}: {} ({})",
                rng.pick(&TOPICS),
                1000 + rng.below(9000)
            );
            let url = format!(
                "https://www.example.org/{}/{}/{:08}.html",
                outlet.split(' ').next().unwrap_or("news").to_lowercase(),
                &date[..4],
                rng.next() % 100_000_000
            );
            let note = if rng.below(3) == 0 {
                "Confirmed by the other party in a note delivered the same day; reported by several outlets."
            } else {
                ""
            };
            let first_name = if e == 0 { name.as_str() } else { "" };
            writeln!(
                w,
                "{id},\"{first_name}\",{status},{date},\"{source}\",{url},\"{note}\""
            )
            .expect("write");
        }
    }
    w.flush().expect("flush the CSV");
    drop(w);
    if let Some(store) = store {
        write_store(&out, &store);
    }
    if let Some(db) = db {
        write_db(&out, &db);
    }
}

/// `pactlog --dir STORE import CSV --create-pacts`, into a new store: the
/// command's own planning and commit, in this process.
fn write_store(csv: &str, store: &str) {
    if Path::new(store).exists() {
        fail(&format!("{store} exists; remove it first"));
    }
    let target = pactlog::Store::new(store);
    let input = std::fs::File::open(csv).unwrap_or_else(|e| fail(&format!("{csv}: {e}")));
    let now = chrono::Utc::now();
    let today = chrono::Local::now().date_naive();
    let options = pactlog::transfer::import::CsvOptions {
        create_pacts: true,
        dry_run: false,
    };
    pactlog::transfer::import::plan_csv(&target, csv, input, options, now, today, &|_| {})
        .and_then(|batch| batch.commit(&target))
        .unwrap_or_else(|e| fail(&format!("import into {store}: {e}")));
}

/// A new SQLite database at `db` holding the CSV's rows, made by `sqlite3`
/// with `bench/sqlite.sql`.
fn write_db(csv: &str, db: &str) {
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/sqlite.sql");
    let sql =
        std::fs::read_to_string(template).unwrap_or_else(|e| fail(&format!("{template}: {e}")));
    let _ = std::fs::remove_file(db);
    let mut sqlite = Command::new("sqlite3")
        .arg(db)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| fail(&format!("run sqlite3: {e}")));
    let mut input = sqlite.stdin.take().expect("a pipe to sqlite3");
    input
        .write_all(sql.replace("@CSV@", csv).as_bytes())
        .unwrap_or_else(|e| fail(&format!("write to sqlite3: {e}")));
    drop(input);
    let status = sqlite
        .wait()
        .unwrap_or_else(|e| fail(&format!("sqlite3: {e}")));
    if !status.success() {
        fail(&format!("sqlite3 failed making {db}"));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

fn usage(arg: &str) -> ! {
    eprintln!(
        "error: bad argument '{arg}'\nusage: generate [--pacts N] [--events M] [--step DAYS] [--seed S] [--out FILE.csv] [--store DIR] [--db FILE.db]"
    );
    std::process::exit(2);
}

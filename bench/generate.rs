//! Writes a deterministic benchmark history as an import CSV: N pacts with
//! M status events each, every step allowed by the lifecycle, with sources,
//! links and notes of realistic length (about 390 bytes a stored line).
//!
//!     cargo run --release --example generate -- --pacts 20000 --events 50 --out bench/data/events.csv
//!
//! The same seed gives the same file, byte for byte. The columns are those of
//! `pactlog import` (`pact,name,status,on,source,url,note`); the rows of one
//! pact are contiguous and in date order, so a row's position within its
//! pact is its event's seq after the registration.

use std::fs::File;
use std::io::{BufWriter, Write};

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
    let mut out = String::from("bench/data/events.csv");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| usage(&arg));
        match arg.as_str() {
            "--pacts" => pacts = value.parse().unwrap_or_else(|_| usage(&arg)),
            "--events" => events = value.parse().unwrap_or_else(|_| usage(&arg)),
            "--seed" => seed = value.parse().unwrap_or_else(|_| usage(&arg)),
            "--out" => out = value,
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
            day += 1 + rng.below(if e == 0 { 30 } else { 300 });
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
}

fn usage(arg: &str) -> ! {
    eprintln!(
        "error: bad argument '{arg}'\nusage: generate [--pacts N] [--events M] [--seed S] [--out FILE.csv]"
    );
    std::process::exit(2);
}

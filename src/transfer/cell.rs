//! CSV cells that a spreadsheet shows as text, never runs as a formula.
//!
//! A spreadsheet that opens a CSV takes a cell beginning with `=`, `+`, `-`
//! or `@` (or a tab or carriage return, which some strip before one) as a
//! formula, so a name, source or note that begins so would run on the
//! machine of whoever opens an export. Every CSV pactlog writes goes
//! through [`Defused`], which puts a `'` before such a cell, as OWASP
//! advises: a spreadsheet shows the cell as text. `import` takes it off
//! again with [`restore`], so that a sheet from `export --csv` imports back
//! exactly what was exported.
//!
//! The rule, exact for every string: [`defuse`] puts a `'` before a cell
//! that, after any `'`s it begins with, begins with one of those
//! characters, unless it is a plain number such as `-5` or `+3.2` (which a
//! spreadsheet takes as that number, and runs nothing); [`restore`] takes
//! one `'` off a cell that, after it and any further `'`s, begins with one
//! of them. So `=x` goes out as `'=x`, `'=x` as `''=x`, and `'Tis` and
//! `2019-08-23` as they are, and each comes back as it was.
//!
//! ```
//! use pactlog::transfer::cell::{defuse, restore};
//! for text in ["=1+1", "'=1+1", "-5", "'Tis", "@SUM(A1)", "2019-08-23"] {
//!     assert_eq!(restore(&defuse(text)), text);
//! }
//! assert_eq!(defuse("=1+1"), "'=1+1");
//! assert_eq!(defuse("-5"), "-5");
//! ```

use std::borrow::Cow;

use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// The first characters that make a spreadsheet take a cell as a formula.
const FORMULA: [u8; 6] = [b'=', b'+', b'-', b'@', b'\t', b'\r'];

/// Whether `cell`, after any `'`s it begins with, begins as a formula.
fn formula(cell: &[u8]) -> bool {
    let start = cell.iter().position(|&b| b != b'\'');
    start.is_some_and(|at| FORMULA.contains(&cell[at]))
}

/// Whether `cell` is a plain number: a sign, digits, and a fraction.
fn number(cell: &[u8]) -> bool {
    let unsigned = cell.strip_prefix(b"+").or(cell.strip_prefix(b"-"));
    let unsigned = unsigned.unwrap_or(cell);
    let mut parts = unsigned.splitn(2, |&b| b == b'.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next().unwrap_or_default();
    let digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
    whole.len() + fraction.len() > 0 && digits(whole) && digits(fraction)
}

/// Whether `cell` goes out with a `'` before it.
fn defused(cell: &[u8]) -> bool {
    formula(cell) && !number(cell)
}

/// `text` as a CSV cell that a spreadsheet shows as text: with a `'` before
/// it when it would otherwise begin a formula (see the [module](self)).
pub fn defuse(text: &str) -> Cow<'_, str> {
    if defused(text.as_bytes()) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text a CSV cell holds: without the `'` that [`defuse`] put before
/// it, when it has one.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(text) if formula(text.as_bytes()) => text,
        _ => cell,
    }
}

/// A value that serializes as `T` does, every string in it (and every
/// character and byte string) passed through [`defuse`]: what a CSV writer
/// serializes, so that no cell of any row escapes it.
#[derive(Debug, Clone, Copy)]
pub struct Defused<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> Serialize for Defused<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Cells(serializer))
    }
}

/// A serializer, or one of its parts, that writes through to `S` with
/// every string defused.
struct Cells<S>(S);

/// Methods that pass a scalar straight through.
macro_rules! through {
    ($($method:ident($type:ty)),* $(,)?) => {
        $(fn $method(self, v: $type) -> Result<S::Ok, S::Error> {
            self.0.$method(v)
        })*
    };
}

impl<S: Serializer> Serializer for Cells<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Cells<S::SerializeSeq>;
    type SerializeTuple = Cells<S::SerializeTuple>;
    type SerializeTupleStruct = Cells<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Cells<S::SerializeTupleVariant>;
    type SerializeMap = Cells<S::SerializeMap>;
    type SerializeStruct = Cells<S::SerializeStruct>;
    type SerializeStructVariant = Cells<S::SerializeStructVariant>;

    through!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
    );

    fn serialize_char(self, v: char) -> Result<S::Ok, S::Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        self.0.serialize_str(&defuse(v))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        if defused(v) {
            self.0.serialize_bytes(&[b"'", v].concat())
        } else {
            self.0.serialize_bytes(v)
        }
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Defused(value))
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_struct(name)
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(name, index, variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(name, &Defused(value))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_variant(name, index, variant, &Defused(value))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(Cells)
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len).map(Cells)
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len).map(Cells)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0
            .serialize_tuple_variant(name, index, variant, len)
            .map(Cells)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(Cells)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(name, len).map(Cells)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0
            .serialize_struct_variant(name, index, variant, len)
            .map(Cells)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

impl<S: SerializeSeq> SerializeSeq for Cells<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_element(&Defused(value))
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeTuple> SerializeTuple for Cells<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_element(&Defused(value))
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeTupleStruct> SerializeTupleStruct for Cells<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_field(&Defused(value))
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeTupleVariant> SerializeTupleVariant for Cells<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_field(&Defused(value))
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeMap> SerializeMap for Cells<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), S::Error> {
        self.0.serialize_key(&Defused(key))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_value(&Defused(value))
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeStruct> SerializeStruct for Cells<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        self.0.serialize_field(key, &Defused(value))
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.0.skip_field(key)
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: SerializeStructVariant> SerializeStructVariant for Cells<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        self.0.serialize_field(key, &Defused(value))
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.0.skip_field(key)
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_begin_a_formula_go_out_as_text_and_come_back() {
        for (text, cell) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+1", "'+1+1"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("'=x", "''=x"),
            ("''-x", "'''-x"),
            ("-", "'-"),
            ("-.", "'-."),
            ("-1e5", "'-1e5"),
            ("-2019-08-23", "'-2019-08-23"),
        ] {
            assert_eq!(defuse(text), cell, "{text:?}");
            assert_eq!(restore(cell), text, "{cell:?}");
        }
        for text in [
            "-5",
            "+3.2",
            "-.5",
            "7.",
            "2019-08-23",
            "'Tis",
            "''",
            "'",
            "",
            "Kyodo",
            " =x",
        ] {
            assert_eq!(defuse(text), text, "{text:?}");
            assert_eq!(restore(text), text, "{text:?}");
        }
    }

    #[test]
    fn every_string_of_a_row_is_defused_and_nothing_else_changes() {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            name: &'a str,
            count: i32,
            source: Option<&'a str>,
            url: Option<&'a str>,
            flag: bool,
            letter: char,
        }
        let row = Row {
            name: "=1+1",
            count: -5,
            source: Some("@x"),
            url: None,
            flag: true,
            letter: '+',
        };
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(Defused(&row)).unwrap();
        let written = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(
            written,
            "name,count,source,url,flag,letter\n'=1+1,-5,'@x,,true,'+\n"
        );
    }

    proptest::proptest! {
        /// Whatever a cell holds, it comes back as it went out.
        #[test]
        fn a_defused_cell_restores_to_its_text(text in "['=+\\-@\t\r0-9.a ]{0,8}|\\PC*") {
            let cell = defuse(&text);
            proptest::prop_assert_eq!(restore(&cell), text.as_str());
            // and it never begins a formula, unless it is a plain number
            let number = number(text.as_bytes());
            proptest::prop_assert!(
                number || !FORMULA.contains(&cell.as_bytes().first().copied().unwrap_or(b'x'))
            );
        }
    }
}

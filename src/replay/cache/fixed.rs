//! A run of bytes of a fixed length in the cache file, for
//! `#[serde(with = "fixed")]`: written as one run and read at once, where
//! serde would write an array as so many numbers, each read on its own.

use serde::{Deserializer, Serializer};

/// Writes `bytes` as one run of bytes.
pub(super) fn serialize<S: Serializer, const N: usize>(
    bytes: &[u8; N],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(bytes)
}

/// Reads a run of exactly `N` bytes.
pub(super) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
    d: D,
) -> Result<[u8; N], D::Error> {
    struct Fixed<const N: usize>;
    impl<const N: usize> serde::de::Visitor<'_> for Fixed<N> {
        type Value = [u8; N];

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{N} bytes")
        }

        fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<[u8; N], E> {
            bytes
                .try_into()
                .map_err(|_| E::invalid_length(bytes.len(), &self))
        }
    }
    d.deserialize_bytes(Fixed::<N>)
}

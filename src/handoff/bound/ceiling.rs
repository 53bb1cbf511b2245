//! An upper bound of a value's compact JSON length (as `serde_json` writes it), from its shape and
//! the lengths of its strings, without writing or escaping anything: a string counts six bytes for
//! each of its bytes (a `\u00XX` escape) and its quotes, a number as many bytes as the longest
//! number, every separator and brace as written. Used to skip measuring a context that is far
//! below the bound.

use serde::ser::{self, Serialize};

/// At least the length of `serde_json::to_vec(value)`.
pub fn json_ceiling<T: Serialize + ?Sized>(value: &T) -> usize {
    value.serialize(Ceiling).unwrap_or(usize::MAX)
}

/// A string of `len` bytes, quoted, every byte escaped.
fn string(len: usize) -> usize {
    2 + 6 * len
}

/// The longest number `serde_json` writes (an `i128` with its sign; a float is at most 24).
const NUMBER: usize = 40;

struct Ceiling;

/// The bytes of a sequence or map so far (brackets, separators and elements).
struct Compound(usize);

type Error = serde_json::Error;

impl ser::Serializer for Ceiling {
    type Ok = usize;
    type Error = Error;
    type SerializeSeq = Compound;
    type SerializeTuple = Compound;
    type SerializeTupleStruct = Compound;
    type SerializeTupleVariant = Compound;
    type SerializeMap = Compound;
    type SerializeStruct = Compound;
    type SerializeStructVariant = Compound;

    fn serialize_bool(self, _: bool) -> Result<usize, Error> {
        Ok(5)
    }
    fn serialize_i8(self, _: i8) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_i16(self, _: i16) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_i32(self, _: i32) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_i64(self, _: i64) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_i128(self, _: i128) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_u8(self, _: u8) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_u16(self, _: u16) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_u32(self, _: u32) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_u64(self, _: u64) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_u128(self, _: u128) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_f32(self, _: f32) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_f64(self, _: f64) -> Result<usize, Error> {
        Ok(NUMBER)
    }
    fn serialize_char(self, c: char) -> Result<usize, Error> {
        Ok(string(c.len_utf8()))
    }
    fn serialize_str(self, v: &str) -> Result<usize, Error> {
        Ok(string(v.len()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<usize, Error> {
        // An array of numbers: "255," each.
        Ok(2 + 4 * v.len())
    }
    fn serialize_none(self) -> Result<usize, Error> {
        Ok(4)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<usize, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<usize, Error> {
        Ok(4)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<usize, Error> {
        Ok(4)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<usize, Error> {
        Ok(string(variant.len()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<usize, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<usize, Error> {
        // {"variant":value}
        Ok(3 + string(variant.len()) + value.serialize(self)?)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound, Error> {
        Ok(Compound(2))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound, Error> {
        Ok(Compound(2))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound, Error> {
        Ok(Compound(2))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound, Error> {
        // {"variant":[...]}
        Ok(Compound(5 + string(variant.len())))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound, Error> {
        Ok(Compound(2))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound, Error> {
        Ok(Compound(2))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound, Error> {
        // {"variant":{...}}
        Ok(Compound(5 + string(variant.len())))
    }
}

impl Compound {
    /// One element and its separator.
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0 += 1 + value.serialize(Ceiling)?;
        Ok(())
    }

    /// One field or entry: its key (a number key is quoted), `:`, the value and a separator.
    fn entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), Error> {
        self.0 += 2 + key.serialize(Ceiling)? + 2 + value.serialize(Ceiling)?;
        Ok(())
    }
}

impl ser::SerializeSeq for Compound {
    type Ok = usize;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<usize, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeTuple for Compound {
    type Ok = usize;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<usize, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeTupleStruct for Compound {
    type Ok = usize;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<usize, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeTupleVariant for Compound {
    type Ok = usize;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<usize, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeMap for Compound {
    type Ok = usize;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.0 += 3 + key.serialize(Ceiling)?;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0 += 1 + value.serialize(Ceiling)?;
        Ok(())
    }
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), Error> {
        self.entry(key, value)
    }
    fn end(self) -> Result<usize, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeStruct for Compound {
    type Ok = usize;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.entry(key, value)
    }
    fn end(self) -> Result<usize, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeStructVariant for Compound {
    type Ok = usize;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.entry(key, value)
    }
    fn end(self) -> Result<usize, Error> {
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{HandoffContext, TranscriptTurn};

    #[test]
    fn the_ceiling_is_never_below_the_json() {
        let mut c = HandoffContext {
            transcript: vec![
                TranscriptTurn {
                    turn_id: "t1".into(),
                    text: "quotes \" and \\ and \n and \u{1} and ümlauts".into(),
                    time_ms: i64::MIN,
                    signals: vec!["frustration".into()],
                    ..Default::default()
                };
                3
            ],
            language: "de".into(),
            seconds_since_first_problem: f64::MIN_POSITIVE,
            ..Default::default()
        };
        c.metadata.insert("k\u{0}".into(), "v".repeat(10));
        let json = serde_json::to_vec(&c).unwrap().len();
        assert!(json_ceiling(&c) >= json, "{} < {json}", json_ceiling(&c));
        let empty = HandoffContext::default();
        assert!(json_ceiling(&empty) >= serde_json::to_vec(&empty).unwrap().len());
    }
}

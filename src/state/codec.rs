//! What the durable stores share: how records are stored, the few columns pulled out of them.
//!
//! Records are MessagePack with field names (`rmp-serde`): binary, about half of JSON's size and
//! time, and still keyed by name, so a field added to a domain type (with `#[serde(default)]`)
//! reads old rows as JSON did. Rows written before schema 4 are JSON and still read (a JSON
//! object starts with `{`, which no MessagePack map does). With `store.encryption_key_file` set,
//! every record (conversation state, history turn, receipt, handoff event) is sealed with
//! AES-256-GCM under a fresh random 96-bit nonce: `0xC1` (a byte MessagePack never uses), the
//! nonce, then the ciphertext and tag.

use super::{Commit, StoreError, Verdict};
use crate::domain::{HandoffEvent, TurnRecord};
use aes_gcm::aead::{Aead, Generate, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Serialize, de::DeserializeOwned};
use std::path::Path;
use std::sync::Arc;

/// Marks a sealed record.
const SEALED: u8 = 0xC1;
const NONCE_LEN: usize = 12;

/// How a store writes and reads its records: binary, sealed when a key is configured.
#[derive(Clone, Default)]
pub struct Codec {
    /// `None`: records are stored in clear.
    cipher: Option<Arc<Aes256Gcm>>,
}

impl std::fmt::Debug for Codec {
    // Never prints the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("encrypted", &self.cipher.is_some())
            .finish()
    }
}

impl Codec {
    /// Records in clear.
    pub fn plain() -> Self {
        Codec::default()
    }

    /// Records sealed with this 32-byte key.
    pub fn with_key(key: &[u8; 32]) -> Self {
        let cipher = Aes256Gcm::new_from_slice(key).expect("a 32-byte key");
        Codec {
            cipher: Some(Arc::new(cipher)),
        }
    }

    /// The codec a `store.encryption_key_file` names (`None`: in clear). The file holds 32 bytes:
    /// raw, or as 64 hex digits, or as standard base64 (44 characters); surrounding whitespace is
    /// ignored in the text forms. Errors name the file, never its content.
    pub fn from_key_file(path: Option<&Path>) -> Result<Self, StoreError> {
        let Some(path) = path else {
            return Ok(Codec::plain());
        };
        let bytes = std::fs::read(path).map_err(|e| {
            StoreError::Unavailable(format!("store.encryption_key_file {}: {e}", path.display()))
        })?;
        let key = parse_key(&bytes).ok_or_else(|| {
            StoreError::Unavailable(format!(
                "store.encryption_key_file {}: must hold a 32-byte key (raw, 64 hex digits or \
                 base64)",
                path.display()
            ))
        })?;
        Ok(Codec::with_key(&key))
    }

    pub fn encrypted(&self) -> bool {
        self.cipher.is_some()
    }

    /// A record as stored.
    pub fn encode<T: Serialize>(&self, value: &T) -> Result<Vec<u8>, StoreError> {
        let plain = rmp_serde::to_vec_named(value)
            .map_err(|e| StoreError::Corrupt(format!("encoding a record: {e}")))?;
        Ok(self.seal(plain))
    }

    /// A stored record read back; `what` names the table in the error (never the content).
    pub fn decode<T: DeserializeOwned>(&self, bytes: &[u8], what: &str) -> Result<T, StoreError> {
        let opened;
        let bytes = if bytes.first() == Some(&SEALED) {
            opened = self.open(bytes, what)?;
            &opened[..]
        } else {
            bytes
        };
        if bytes.first() == Some(&b'{') {
            serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
        } else {
            rmp_serde::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
        }
    }

    /// Seals bytes when a key is configured.
    pub fn seal(&self, plain: Vec<u8>) -> Vec<u8> {
        let Some(cipher) = &self.cipher else {
            return plain;
        };
        let nonce = Nonce::generate();
        let sealed = cipher
            .encrypt(&nonce, plain.as_slice())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEALED);
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens sealed bytes: a clear error without the key or with another key.
    pub fn open(&self, bytes: &[u8], what: &str) -> Result<Vec<u8>, StoreError> {
        let Some(cipher) = &self.cipher else {
            return Err(StoreError::Corrupt(format!(
                "{what}: the record is encrypted and store.encryption_key_file is not set"
            )));
        };
        if bytes.len() < 1 + NONCE_LEN || bytes[0] != SEALED {
            return Err(StoreError::Corrupt(format!(
                "{what}: an encrypted record is truncated"
            )));
        }
        let nonce = Nonce::try_from(&bytes[1..1 + NONCE_LEN])
            .map_err(|_| StoreError::Corrupt(format!("{what}: bad nonce")))?;
        cipher
            .decrypt(&nonce, &bytes[1 + NONCE_LEN..])
            .map_err(|_| {
                StoreError::Corrupt(format!(
                    "{what}: cannot decrypt (another store.encryption_key_file than the one it was \
                 written with, or a damaged record)"
                ))
            })
    }
}

/// What a key check record holds once opened.
const KEY_CHECK: &[u8] = b"escalation-router key check";

impl Codec {
    /// Checks this codec against a store's key check record (`store_meta`): `Ok(Some(record))`
    /// is the record to store (the first start with a key), `Ok(None)` all is well, and an error
    /// says the store was sealed under another key, or under one while none is set.
    pub fn check_key(&self, stored: Option<&[u8]>) -> Result<Option<Vec<u8>>, StoreError> {
        match stored {
            None if self.encrypted() => Ok(Some(self.seal(KEY_CHECK.to_vec()))),
            None => Ok(None),
            Some(sealed) => match self.open(sealed, "store_meta") {
                Ok(opened) if opened == KEY_CHECK => Ok(None),
                _ if !self.encrypted() => Err(StoreError::Unavailable(
                    "the store's records are encrypted: set store.encryption_key_file".into(),
                )),
                _ => Err(StoreError::Unavailable(
                    "store.encryption_key_file is not the key this store was encrypted with".into(),
                )),
            },
        }
    }
}

/// A 32-byte key from a key file's bytes: raw, hex or base64.
fn parse_key(bytes: &[u8]) -> Option<[u8; 32]> {
    if bytes.len() == 32 {
        return bytes.try_into().ok();
    }
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let decoded = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?
    };
    decoded.try_into().ok()
}

/// The label of a handoff's strongest reason, as `quality` groups by it.
pub fn primary_reason(event: &HandoffEvent) -> String {
    event
        .context
        .reasons
        .first()
        .map(|r| r.code.label().to_string())
        .unwrap_or_default()
}

/// A channel as stored for quality: its serde name (`webchat`, `voice`, `unspecified`).
pub fn channel_label(channel: crate::domain::Channel) -> String {
    match serde_json::to_value(channel) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Unknown => "unknown",
        Verdict::Needed => "needed",
        Verdict::NotNeeded => "not_needed",
        Verdict::TooLate => "too_late",
    }
}

pub fn verdict_from(text: &str) -> Verdict {
    match text {
        "needed" => Verdict::Needed,
        "not_needed" => Verdict::NotNeeded,
        "too_late" => Verdict::TooLate,
        _ => Verdict::Unknown,
    }
}

/// A commit with its records already encoded.
pub struct CommitRow {
    /// The turn this commit appends to the history rows (sequence number, record); history is
    /// stored a row per turn, so a turn writes only its own.
    pub turn: Option<(i64, Vec<u8>)>,
    /// History rows up to this sequence number have left the conversation's recent turns.
    pub history_before: i64,
    pub tenant_id: String,
    pub conversation_id: String,
    pub expected_version: i64,
    pub version: i64,
    pub customer_id: Option<String>,
    pub updated_ms: i64,
    pub state: Vec<u8>,
    pub receipt: Option<(String, i64, Vec<u8>)>,
    pub event: Option<EventRow>,
}

/// The columns of a handoff event the stores index or aggregate, and the event itself encoded.
pub struct EventRow {
    pub event_id: String,
    pub handoff_id: String,
    pub queue: String,
    pub created_ms: i64,
    pub reason: String,
    pub seconds: f64,
    /// The customer's language and the channel label, for quality by language and channel.
    pub language: String,
    pub channel: String,
    pub body: Vec<u8>,
}

impl CommitRow {
    /// Encodes once, on the caller's task (CPU work kept off the stores' writer threads). The
    /// state is stored without its recent turns (they are rows of their own, `turn`).
    pub fn encode(commit: &mut Commit, codec: &Codec) -> Result<Self, StoreError> {
        // The state blob leaves out the recent turns; they are put back once it is encoded.
        let recent = std::mem::take(&mut commit.state.recent);
        let blob = codec.encode(&commit.state);
        commit.state.recent = recent;
        let Commit {
            state,
            expected_version,
            receipt,
            event,
        } = &*commit;
        let receipt = match receipt {
            Some(r) => Some((
                r.turn_id.clone(),
                r.decision.sequence as i64,
                codec.encode(r)?,
            )),
            None => None,
        };
        let event = match event {
            Some(e) => Some(EventRow {
                event_id: e.event_id.clone(),
                handoff_id: e.handoff_id.clone(),
                queue: e.route.queue.clone(),
                created_ms: e.created_ms,
                reason: primary_reason(e),
                seconds: e.context.seconds_since_first_problem,
                language: e.context.language.clone(),
                channel: channel_label(e.context.channel),
                body: codec.encode(e)?,
            }),
            None => None,
        };
        // A turn's commit (it carries the receipt) appended exactly one record: the last.
        let turn = match (&receipt, state.recent.back()) {
            (Some(_), Some(last)) => Some((state.turn_count as i64, codec.encode(&**last)?)),
            _ => None,
        };
        Ok(CommitRow {
            tenant_id: state.tenant_id.clone(),
            conversation_id: state.conversation_id.clone(),
            expected_version: *expected_version as i64,
            version: state.version as i64,
            customer_id: state.customer.as_ref().map(|c| c.customer_id.clone()),
            updated_ms: state.idle_since_ms(),
            state: blob?,
            turn,
            history_before: state.turn_count as i64 - state.recent.len() as i64,
            receipt,
            event,
        })
    }
}

/// A conversation read back: its state row and its history rows `(sequence, record)` in order.
/// Rows past the state's turn count (a commit racing the read) are left out.
pub fn conversation(
    codec: &Codec,
    state: &[u8],
    turns: Vec<(i64, Vec<u8>)>,
) -> Result<crate::domain::ConversationState, StoreError> {
    let mut state: crate::domain::ConversationState = codec.decode(state, "conversations")?;
    for (seq, blob) in turns {
        if seq > state.turn_count as i64 {
            break;
        }
        let record: TurnRecord = codec.decode(&blob, "turns")?;
        state.recent.push_back(Arc::new(record));
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::{Codec, parse_key};

    #[test]
    fn a_key_file_holds_32_bytes_raw_hex_or_base64() {
        let key: Vec<u8> = (0u8..32).collect();
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        let base64 = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(&key)
        };
        for file in [
            key.clone(),
            format!("{hex}\n").into_bytes(),
            base64.into_bytes(),
        ] {
            assert_eq!(parse_key(&file).map(Vec::from), Some(key.clone()));
        }
        for bad in [
            &b"short"[..],
            &[0u8; 31],
            &hex.as_bytes()[..62],
            b"not base64 at all!",
        ] {
            assert_eq!(parse_key(bad), None);
        }
    }

    #[test]
    fn a_bad_key_file_is_named_without_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.key");
        std::fs::write(&path, "secret-but-too-short").unwrap();
        let err = Codec::from_key_file(Some(&path)).unwrap_err().to_string();
        assert!(
            err.contains("store.key") && err.contains("32-byte key"),
            "{err}"
        );
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn sealed_records_open_only_with_their_key_and_differ_each_time() {
        let (a, b) = (Codec::with_key(&[1; 32]), Codec::with_key(&[2; 32]));
        let one = a.encode(&"the same text").unwrap();
        let two = a.encode(&"the same text").unwrap();
        assert_ne!(one, two, "a fresh nonce per record");
        assert_eq!(a.decode::<String>(&one, "t").unwrap(), "the same text");
        let err = b.decode::<String>(&one, "t").unwrap_err().to_string();
        assert!(err.contains("cannot decrypt"), "{err}");
        let err = Codec::plain()
            .decode::<String>(&one, "t")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("store.encryption_key_file is not set"),
            "{err}"
        );
    }
}

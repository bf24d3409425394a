//! A table of the knowledge base kept in its compiled form until first read, so a command pays
//! at start-up only for the tables it uses (most never read the devices or the real cases).

use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

use serde::de::{DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A value read from its compact form (postcard) the first time it is used. It reads as the
/// value itself (`kb.devices.iter()`, `&kb.real_cases`, `kb.dfu_signs.success`), so code that
/// uses the kb never sees the difference.
pub struct Lazy<T> {
    bytes: Box<[u8]>,
    value: OnceLock<T>,
}

impl<T> Lazy<T> {
    /// A value already read (from the TOML files).
    #[cfg(any(feature = "source", not(kb_image)))]
    pub(crate) fn ready(value: T) -> Lazy<T> {
        Lazy {
            bytes: Box::default(),
            value: OnceLock::from(value),
        }
    }
}

impl<T: DeserializeOwned> Deref for Lazy<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.get_or_init(|| {
            // The bytes are the build's own output, read back by the kb's tests.
            postcard::from_bytes(&self.bytes).expect("the compiled knowledge base reads back")
        })
    }
}

impl<'a, T: DeserializeOwned> IntoIterator for &'a Lazy<Vec<T>> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: DeserializeOwned + fmt::Debug> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: DeserializeOwned + PartialEq> PartialEq for Lazy<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Serialize> Serialize for Lazy<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value.get() {
            Some(value) => {
                let bytes = postcard::to_allocvec(value).map_err(serde::ser::Error::custom)?;
                serializer.serialize_bytes(&bytes)
            }
            None => serializer.serialize_bytes(&self.bytes),
        }
    }
}

impl<'de, T> Deserialize<'de> for Lazy<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl Visitor<'_> for Bytes {
            type Value = Box<[u8]>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a compiled table")
            }

            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Self::Value, E> {
                Ok(bytes.into())
            }
        }
        Ok(Lazy {
            bytes: deserializer.deserialize_bytes(Bytes)?,
            value: OnceLock::new(),
        })
    }
}

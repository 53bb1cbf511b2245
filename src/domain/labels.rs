//! One list per closed vocabulary: each variant is written once, with its wire and config label, and
//! the enum, its serde name, `label`, `parse` and `ALL` all come from that one list.

/// Declares a fieldless enum from `Variant = "label"` pairs (doc comments allowed on variants).
/// Derives order by declaration, so a `BTreeMap` keyed by it iterates in the written order.
macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $label:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $label)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used on the wire, in configuration and in reports.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// The value a label names.
            pub fn parse(label: &str) -> Option<$name> {
                match label {
                    $($label => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// Every label, comma-separated (for error messages).
            pub fn labels() -> String {
                [$($label),+].join(", ")
            }
        }
    };
}

pub(crate) use labelled_enum;

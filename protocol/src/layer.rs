//! Which of the bridge's two chains something is on.

use std::fmt;

use serde::Serialize;

/// One of the bridge's two chains: `L1` (Ethereum, where escrow and outputs live) or `L2` (the
/// rollup). The one name for it in every crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Layer {
    /// Ethereum.
    L1,
    /// The rollup.
    L2,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::L1 => "L1",
            Self::L2 => "L2",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Layer;

    #[test]
    fn layers_print_and_serialize_as_their_names() {
        assert_eq!(Layer::L1.to_string(), "L1");
        assert_eq!(serde_json::to_string(&Layer::L2).unwrap(), "\"L2\"");
    }
}

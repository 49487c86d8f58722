//! Entity ids: checks given ones and derives stable UUID-shaped ones for entities without.
//!
//! A generated id depends only on the entity kind and its name (or username/custom_id),
//! so `X-Consumer-ID` stays the same across restarts and reloads.

/// A UUID-shaped id (8-4-4-4-12 lowercase hex) derived from `kind` and `key` with two
/// FNV-1a 64-bit hashes; version nibble 8 ("custom") and the RFC 4122 variant are set.
pub fn generated_id(kind: &str, key: &str) -> String {
    let high = fnv1a(0xcbf2_9ce4_8422_2325, kind, key);
    let low = fnv1a(0x6c62_272e_07bb_0142, kind, key);
    uuid_shaped(high, low, 8)
}

/// Two 64-bit words as an RFC 4122-shaped UUID string with the given version nibble.
pub fn uuid_shaped(high: u64, low: u64, version: u8) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | (version << 4);
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn fnv1a(basis: u64, kind: &str, key: &str) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = basis;
    let bytes = kind.bytes().chain(std::iter::once(0u8)).chain(key.bytes());
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// Whether `id` is UUID-shaped: 8-4-4-4-12 hex digits (either case).
pub fn is_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_stable_uuid_shaped_and_distinct() {
        let a = generated_id("consumer", "username:kong_id");
        assert_eq!(a, generated_id("consumer", "username:kong_id"));
        assert!(is_uuid(&a), "{a}");
        assert_ne!(a, generated_id("consumer", "username:kong_id2"));
        assert_ne!(a, generated_id("service", "username:kong_id"));
        assert_ne!(generated_id("ab", "c"), generated_id("a", "bc"));
    }

    /// Pinned: changing the derivation would change every X-Consumer-ID in the field.
    #[test]
    fn generated_id_derivation_is_pinned() {
        assert_eq!(
            generated_id("consumers", "username:kong_id"),
            "c96dc586-dd65-8133-91b8-d0f5036bac2c"
        );
    }

    #[test]
    fn uuid_shape() {
        assert!(is_uuid("0f6a8b5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b"));
        assert!(!is_uuid("0f6a8b5e-1c2d-4e3f-8a9b-0c1d2e3f4a5"));
        assert!(!is_uuid("kong_id"));
        assert!(!is_uuid("0f6a8b5e1c2d-4e3f-8a9b-0c1d2e3f4a5b-"));
    }
}

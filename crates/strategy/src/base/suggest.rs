//! "Did you mean …?": the closest known name to a misspelt one.

/// The known name closest to `given`, if any is close: fewest edits (a swap of two
/// letters counts as one, so `MPL` finds `MLP`), then the most similar
/// (Jaro-Winkler), on lower case. A name counts as close with a Jaro-Winkler
/// similarity above 0.7 or at most one edit per four letters.
pub fn closest<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given = given.to_lowercase();
    let allowed = (given.chars().count() / 4).max(1);
    known
        .into_iter()
        .map(|k| {
            let k_low = k.to_lowercase();
            let edits = strsim::osa_distance(&k_low, &given);
            (edits, strsim::jaro_winkler(&k_low, &given), k)
        })
        .filter(|(edits, sim, _)| *sim > 0.7 || *edits <= allowed)
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, k)| k)
}

/// ` Did you mean `x`?` or nothing.
pub fn did_you_mean<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    closest(given, known)
        .map(|k| format!(" Did you mean `{k}`?"))
        .unwrap_or_default()
}

/// Adds a suggestion to serde's `unknown field`/`unknown variant` messages, which list
/// the expected names in backticks after "expected".
pub fn enrich_serde_message(message: &str) -> String {
    let given = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    let Some(given) = given else {
        return message.to_string();
    };
    let Some((_, expected)) = message.split_once("expected") else {
        return message.to_string();
    };
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let hint = did_you_mean(given, known.iter().copied());
    format!("{message}.{hint}").replace("..", ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_known_name() {
        let known = ["param_scheduler", "optim_wrapper", "train_cfg"];
        assert_eq!(
            closest("param_schedulers", known.iter().copied()),
            Some("param_scheduler")
        );
        assert_eq!(
            closest("optim_wraper", known.iter().copied()),
            Some("optim_wrapper")
        );
        assert_eq!(closest("zzz", known.iter().copied()), None);
        assert_eq!(closest("MPL", ["DigitsCNN", "GAN2d", "MLP"]), Some("MLP"));
        assert_eq!(closest("tahn", ["relu", "tanh", "gelu"]), Some("tanh"));
    }

    #[test]
    fn serde_messages_gain_a_suggestion() {
        let m = enrich_serde_message(
            "unknown field `nosie`, expected one of `type`, `num_samples`, `noise`",
        );
        assert!(m.ends_with("Did you mean `noise`?"), "{m}");
        let m = enrich_serde_message("unknown variant `tahn`, expected `relu` or `tanh`");
        assert!(m.ends_with("Did you mean `tanh`?"), "{m}");
        assert_eq!(enrich_serde_message("invalid type"), "invalid type");
    }
}

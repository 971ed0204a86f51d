//! Computing a person's assurance level from their evidence through the configured ladder.

use crate::config::AssuranceConfig;
use crate::store::evidence::EvidenceRow;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct Ladder {
    levels: Vec<(String, Vec<BTreeSet<String>>)>,
}

impl Ladder {
    pub fn new(config: &AssuranceConfig) -> Self {
        let levels = config
            .levels
            .iter()
            .map(|rule| (rule.acr.clone(), rule.requires.iter().map(|set| set.iter().cloned().collect()).collect()))
            .collect();
        Self { levels }
    }

    /// Every acr value, lowest first, as discovery lists them.
    pub fn acr_values(&self) -> Vec<String> {
        self.levels.iter().map(|(acr, _)| acr.clone()).collect()
    }

    /// Each level, lowest first, with the sets of evidence methods of which any one reaches it.
    pub fn requirements(&self) -> impl Iterator<Item = (&str, &[BTreeSet<String>])> {
        self.levels.iter().map(|(acr, sets)| (acr.as_str(), sets.as_slice()))
    }

    /// The position of an acr value on the ladder (0 = lowest).
    pub fn rank(&self, acr: &str) -> Option<usize> {
        self.levels.iter().position(|(value, _)| value == acr)
    }

    pub fn acr_at(&self, rank: usize) -> &str {
        &self.levels[rank.min(self.levels.len() - 1)].0
    }

    /// The highest level the evidence reaches; the lowest level when it reaches none (every account is
    /// at least registered).
    pub fn rank_of(&self, evidence: &[EvidenceRow]) -> usize {
        let methods: BTreeSet<&str> = evidence
            .iter()
            .filter(|e| e.outcome == "passed" && e.revoked_at.is_none())
            .map(|e| e.method.as_str())
            .collect();
        self.levels
            .iter()
            .enumerate()
            .rev()
            .find(|(_, (_, sets))| sets.iter().any(|set| set.iter().all(|m| methods.contains(m.as_str()))))
            .map(|(rank, _)| rank)
            .unwrap_or(0)
    }

    /// The lowest rank among requested acr values, ignoring unknown ones: the requirement they express.
    /// The acr to state for a person at `rank` when a client asked, as an essential claim, for one of
    /// `requested` (OIDC Core §5.5.1.1): the highest requested value the person reaches (a higher level
    /// satisfies a lower requested one), else the person's own level.
    pub fn acr_for(&self, rank: usize, requested: &[String]) -> &str {
        requested
            .iter()
            .filter_map(|acr| self.rank(acr))
            .filter(|wanted| *wanted <= rank)
            .max()
            .map_or_else(|| self.acr_at(rank), |wanted| self.acr_at(wanted))
    }

    pub fn requirement(&self, requested: &[String]) -> Option<usize> {
        requested.iter().filter_map(|acr| self.rank(acr)).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(method: &str, passed: bool, revoked: bool) -> EvidenceRow {
        EvidenceRow {
            id: method.into(),
            person_id: "p".into(),
            method: method.into(),
            verifier: "system".into(),
            hall_id: None,
            outcome: if passed { "passed" } else { "failed" }.into(),
            reference: None,
            adapter: None,
            created_at: 0,
            revoked_at: revoked.then_some(1),
        }
    }

    #[test]
    fn the_default_ladder_follows_the_evidence() {
        let ladder = Ladder::new(&AssuranceConfig::default());
        assert_eq!(ladder.rank_of(&[]), 0, "every account is at least registered");
        assert_eq!(ladder.rank_of(&[evidence("sms", true, false)]), 0);
        assert_eq!(ladder.rank_of(&[evidence("sms", true, false), evidence("register_match", true, false)]), 1);
        assert_eq!(ladder.rank_of(&[evidence("register_match", true, false), evidence("face_match", true, false)]), 2);
        assert_eq!(ladder.rank_of(&[evidence("face_match", true, false)]), 0, "a face match alone proves no name");
        assert_eq!(ladder.rank_of(&[evidence("counter", true, false)]), 3);
        assert_eq!(ladder.rank_of(&[evidence("counter", false, false)]), 0, "failed checks count for nothing");
        assert_eq!(
            ladder.rank_of(&[evidence("counter", true, true), evidence("register_match", true, false)]),
            1,
            "revoked evidence drops out"
        );
        assert_eq!(ladder.acr_at(3), "urn:yimen:loa:4");
    }

    #[test]
    fn requested_values_express_their_lowest_level() {
        let ladder = Ladder::new(&AssuranceConfig::default());
        assert_eq!(ladder.requirement(&["urn:yimen:loa:4".into(), "urn:yimen:loa:2".into()]), Some(1));
        assert_eq!(ladder.requirement(&["urn:other:gold".into()]), None);
    }
}

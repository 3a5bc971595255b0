//! One read per window for a whole round. Rules that look at the same window ask the store
//! once, their questions merged: the calls part per scope (the rollups keep calls by
//! agent and by direction and language), histograms, deliveries and refusals for all calls. Fifty rules over five windows
//! cost some fifteen reads instead of one or more each (`cargo xtask bench alerts`).

use std::collections::HashMap;

use calleague_store::{AlertLog, CallsScope, CountsQuery, RuleCounts};

use crate::metric;
use crate::rule::AlertRule;
use crate::AlertRulesError;

/// A window and, for the calls part, its scope (all calls for every other part).
type Key = (i64, i64, CallsScope);

/// The counts a round's rules need, read once per window.
pub(crate) struct WindowCounts {
    read: HashMap<Key, Result<RuleCounts, AlertRulesError>>,
}

/// A rule's question in its two parts: what is kept by agent, and what is kept for all.
fn parts(rule: &AlertRule, now_ms: i64) -> [(Key, CountsQuery); 2] {
    let (from, to) = metric::window_at(rule, now_ms);
    let asked = metric::query(rule);
    let calls = CountsQuery {
        calls: asked.calls,
        scope: asked.scope.clone(),
        reasons: asked.reasons.clone(),
        ..CountsQuery::default()
    };
    let rest = CountsQuery { calls: false, scope: CallsScope::All, reasons: Default::default(), ..asked.clone() };
    [((from, to, asked.scope), calls), ((from, to, CallsScope::All), rest)]
}

/// The reads a round needs: one per window (and scope, for calls), every rule's question in it.
fn merged<'a>(rules: impl Iterator<Item = &'a AlertRule>, now_ms: i64) -> HashMap<Key, CountsQuery> {
    let mut asked: HashMap<Key, CountsQuery> = HashMap::new();
    for rule in rules {
        for (key, query) in parts(rule, now_ms) {
            if !query.is_empty() {
                let scope = key.2.clone();
                asked.entry(key).or_insert_with(|| CountsQuery { scope, ..CountsQuery::default() }).merge(&query);
            }
        }
    }
    asked
}

impl WindowCounts {
    /// Reads what `rules` need at `now_ms`, each window once.
    pub async fn read<'a>(store: &dyn AlertLog, rules: impl Iterator<Item = &'a AlertRule>, now_ms: i64) -> Self {
        let asked = merged(rules, now_ms);
        let mut read = HashMap::with_capacity(asked.len());
        for (key, query) in asked {
            let counts = store.rule_counts(key.0, key.1, query).await.map_err(AlertRulesError::from);
            read.insert(key, counts);
        }
        Self { read }
    }

    /// The counts `rule` asked for, as if it had asked alone.
    pub fn of(&self, rule: &AlertRule, now_ms: i64) -> Result<RuleCounts, AlertRulesError> {
        let mut counts = RuleCounts::default();
        let [(calls_key, calls), (rest_key, rest)] = parts(rule, now_ms);
        if !calls.is_empty() {
            let read = self.get(&calls_key)?;
            counts.completed = read.completed;
            counts.failed = read.failed;
            counts.in_progress = read.in_progress;
            counts.reasons =
                read.reasons.iter().filter(|(r, _)| calls.reasons.contains(*r)).map(|(r, n)| (r.clone(), *n)).collect();
        }
        if !rest.is_empty() {
            let read = self.get(&rest_key)?;
            counts.spreads = read
                .spreads
                .iter()
                .filter(|(k, _)| rest.spreads.contains(*k))
                .map(|(k, steps)| (*k, steps.clone()))
                .collect();
            counts.deliveries = if rest.deliveries { read.deliveries } else { 0 };
            counts.rejected = if rest.rejected { read.rejected } else { 0 };
        }
        Ok(counts)
    }

    fn get(&self, key: &Key) -> Result<&RuleCounts, AlertRulesError> {
        match self.read.get(key) {
            Some(Ok(counts)) => Ok(counts),
            Some(Err(e)) => Err(AlertRulesError::Counts { code: e.code(), message: e.to_string() }),
            None => Err(AlertRulesError::Counts {
                code: calleague_error_code::ErrorCode::StoreUnavailable,
                message: "the window's counts were not read in this round".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{starter_rules, Metric};
    use crate::scope::Scope;

    #[test]
    fn rules_of_one_window_share_a_read_and_see_only_what_they_asked() {
        let mut failure_rate = starter_rules().remove(0);
        let mut reason = failure_rate.clone();
        reason.id = "busy".into();
        reason.metric = Metric::ReasonShare { reason: "busy".into() };
        let mut agent = failure_rate.clone();
        agent.id = "agent".into();
        agent.scope = Scope { agent_id: Some("ag_1".into()), ..Scope::default() };
        let mut wait = failure_rate.clone();
        wait.id = "wait".into();
        wait.metric = Metric::WaitP90;
        failure_rate.id = "rate".into();
        let rules = [failure_rate, reason, agent, wait];
        let asked = merged(rules.iter(), 0);
        // All calls (rate, busy share and the wait histogram) in one read, ag_1 in another.
        assert_eq!(asked.len(), 2, "{asked:?}");
        let all = &asked[&(parts(&rules[0], 0)[0].0)];
        assert!(all.calls && all.reasons.contains("busy") && all.spreads.len() == 1);
    }
}

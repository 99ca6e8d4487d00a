//! 四议两公开 rules. Pure: no DB, no HTTP, no clock.
//!
//! - [`Step`]: the seven steps in order — 三方议事 (seed [001]) before the four 议 and the two 公开.
//! - [`Vote`] and [`check_vote`]: the quorums of each meeting.
//! - [`check_step`]: whether a step may be recorded now, after the steps already done.
//!
//! Decisions: a meeting whose attendance misses its quorum is invalid and is not recorded (hold it
//! again); a valid meeting whose vote falls short is recorded and ends the matter as 未通过 (the
//! 村 may start a new one). 党支部提议 and 两委会商议 pass with more than half of those present;
//! 三方议事 records its three parties' agreement without a count; the 公开 steps carry where and
//! how long the notice was posted.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The 四议两公开 work method as seed [003] applies it (运用“四议两公开”工作法解决好事关群众切身利益的
/// 大事难事) and seed [001]'s 三方议事 before it (村级所有重大事项在进入“四议两公开”程序前，先由支部、
/// 村委及村务监督委员会三方商议). Quorums as DOMAIN.md §13 states them.
pub const SOURCE: &str = "“四议两公开”工作法（县级材料[003]）：党支部会提议、“两委”会商议、党员大会审议、村民代表会议决议，决议公开、实施结果公开；三方议事（县级材料[001]）";

crate::code_enum!(
    /// The steps, in the order they must be taken.
    Step {
        Consult = ("consult", "三方议事"),
        Propose = ("propose", "党支部提议"),
        Discuss = ("discuss", "两委会商议"),
        Review = ("review", "党员大会审议"),
        Resolve = ("resolve", "村民代表会议决议"),
        PublishDecision = ("publish_decision", "决议公开"),
        PublishResult = ("publish_result", "实施结果公开"),
    }
);

impl Step {
    pub fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
    pub fn next(self) -> Option<Step> {
        Step::ALL.get(self.index() + 1).copied()
    }
    /// Meetings that vote.
    pub fn votes(self) -> bool {
        matches!(self, Step::Propose | Step::Discuss | Step::Review | Step::Resolve)
    }
    /// The rule a step's vote is held to, in words.
    pub fn quorum_rule(self) -> &'static str {
        match self {
            Step::Review => "党员大会：应到会有表决权的党员三分之二以上到会，赞成票超过应到会党员的半数",
            Step::Resolve => "村民代表会议：三分之二以上的村民代表到会，赞成票超过到会人数的半数",
            Step::Propose | Step::Discuss => "到会成员过半数赞成",
            _ => "",
        }
    }
}

/// A meeting's count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Vote {
    /// 应到 (entitled to vote).
    pub entitled: i64,
    /// 实到.
    pub present: i64,
    #[serde(rename = "for")]
    pub yes: i64,
    pub against: i64,
    pub abstain: i64,
}

/// A refusal with its rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

pub(super) fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { code, message: message.into() }
}

/// Passed or not, once the count is consistent and the meeting had its quorum (else refused).
pub fn check_vote(step: Step, v: &Vote) -> Result<bool, Refusal> {
    if !step.votes() {
        return Ok(true);
    }
    if v.entitled < 1 || v.present < 0 || v.yes < 0 || v.against < 0 || v.abstain < 0 {
        return Err(refuse("vote_invalid", "应到人数至少为1，各项票数不能为负"));
    }
    if v.present > v.entitled {
        return Err(refuse("vote_invalid", format!("实到 {} 人多于应到 {} 人", v.present, v.entitled)));
    }
    if v.yes + v.against + v.abstain > v.present {
        return Err(refuse("vote_invalid", format!("赞成、反对、弃权合计 {} 票，多于实到 {} 人", v.yes + v.against + v.abstain, v.present)));
    }
    match step {
        Step::Review | Step::Resolve => {
            // Exactly two thirds present is enough: 3 × present ≥ 2 × entitled.
            if v.present * 3 < v.entitled * 2 {
                return Err(refuse("quorum_not_met", format!("会议无效：应到 {} 人，实到 {} 人，不足三分之二（{}）。请另行召开", v.entitled, v.present, step.quorum_rule())));
            }
            let base = if step == Step::Review { v.entitled } else { v.present };
            // More than half: exactly half does not pass.
            Ok(v.yes * 2 > base)
        }
        Step::Propose | Step::Discuss => {
            if v.present * 2 <= v.entitled {
                return Err(refuse("quorum_not_met", format!("会议无效：应到 {} 人，实到 {} 人，未过半数", v.entitled, v.present)));
            }
            Ok(v.yes * 2 > v.present)
        }
        _ => unreachable!("only the four meetings vote"),
    }
}

/// May `step` be recorded on `on`, after `done` (the steps recorded, in order, with their days)?
pub fn check_step(done: &[(Step, NaiveDate)], step: Step, on: NaiveDate, today: NaiveDate) -> Result<(), Refusal> {
    if on > today {
        return Err(refuse("date_in_future", "日期不能晚于今天：请在事项办理后登记"));
    }
    let expected = match done.last() {
        None => Step::Consult,
        Some((last, _)) => match last.next() {
            Some(n) => n,
            None => return Err(refuse("procedure_complete", "七个步骤均已完成")),
        },
    };
    if step.index() < expected.index() {
        return Err(refuse("step_done", format!("“{}”已经登记过", step.label())));
    }
    if step != expected {
        let skipped: Vec<&str> = Step::ALL[expected.index()..step.index()].iter().map(|s| s.label()).collect();
        return Err(refuse("step_skipped", format!("不能跳过步骤：应先完成“{}”，再进行“{}”（{}）", skipped.join("”“"), step.label(), SOURCE)));
    }
    if let Some((last, day)) = done.last() {
        if on < *day {
            return Err(refuse("step_before_previous", format!("“{}”的日期 {on} 早于上一步“{}”的 {day}：每一步都须在上一步之后", step.label(), last.label())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn vote(entitled: i64, present: i64, yes: i64) -> Vote {
        Vote { entitled, present, yes, against: 0, abstain: 0 }
    }

    #[test]
    fn steps_go_in_order_and_never_back_in_time() {
        let today = d("2026-11-30");
        assert!(check_step(&[], Step::Consult, d("2026-11-01"), today).is_ok());
        assert_eq!(check_step(&[], Step::Propose, d("2026-11-01"), today).unwrap_err().code, "step_skipped");
        let done = [(Step::Consult, d("2026-11-01")), (Step::Propose, d("2026-11-03"))];
        let e = check_step(&done, Step::Review, d("2026-11-05"), today).unwrap_err();
        assert_eq!(e.code, "step_skipped");
        assert!(e.message.contains("两委会商议"), "{}", e.message);
        assert_eq!(check_step(&done, Step::Discuss, d("2026-11-02"), today).unwrap_err().code, "step_before_previous");
        assert!(check_step(&done, Step::Discuss, d("2026-11-03"), today).is_ok(), "the same day is allowed");
        assert_eq!(check_step(&done, Step::Propose, d("2026-11-04"), today).unwrap_err().code, "step_done");
        assert_eq!(check_step(&done, Step::Discuss, d("2026-12-01"), today).unwrap_err().code, "date_in_future");
        let all: Vec<(Step, NaiveDate)> = Step::ALL.iter().map(|s| (*s, d("2026-11-10"))).collect();
        assert_eq!(check_step(&all, Step::PublishResult, d("2026-11-11"), today).unwrap_err().code, "procedure_complete");
    }

    #[test]
    fn the_members_meeting_needs_two_thirds_present_and_half_of_those_entitled() {
        // 30 entitled: 20 present is exactly two thirds (enough); 19 is not.
        assert_eq!(check_vote(Step::Review, &vote(30, 20, 16)), Ok(true));
        assert_eq!(check_vote(Step::Review, &vote(30, 19, 19)).unwrap_err().code, "quorum_not_met");
        // Exactly half of those entitled (15 of 30) does not pass; 16 does.
        assert_eq!(check_vote(Step::Review, &vote(30, 20, 15)), Ok(false));
        assert_eq!(check_vote(Step::Review, &vote(30, 30, 16)), Ok(true));
    }

    #[test]
    fn the_representatives_need_two_thirds_present_and_half_of_those_present() {
        assert_eq!(check_vote(Step::Resolve, &vote(30, 20, 11)), Ok(true));
        assert_eq!(check_vote(Step::Resolve, &vote(30, 20, 10)), Ok(false), "exactly half of those present");
        assert_eq!(check_vote(Step::Resolve, &vote(31, 20, 20)).unwrap_err().code, "quorum_not_met");
        assert_eq!(check_vote(Step::Resolve, &vote(31, 21, 11)), Ok(true));
    }

    #[test]
    fn counts_must_add_up() {
        assert_eq!(check_vote(Step::Review, &vote(10, 11, 5)).unwrap_err().code, "vote_invalid");
        assert_eq!(check_vote(Step::Review, &Vote { entitled: 10, present: 8, yes: 5, against: 3, abstain: 1 }).unwrap_err().code, "vote_invalid");
        assert_eq!(check_vote(Step::Review, &vote(0, 0, 0)).unwrap_err().code, "vote_invalid");
        assert_eq!(check_vote(Step::Propose, &vote(5, 3, 2)), Ok(true));
        assert_eq!(check_vote(Step::Propose, &vote(5, 2, 2)).unwrap_err().code, "quorum_not_met");
        assert_eq!(check_vote(Step::Consult, &Vote::default()), Ok(true));
    }
}

//! Residents' requests (社情民意 / 微心愿 / 投诉): the closed-loop state machine, working-day
//! deadlines, tracking codes and public wording (DOMAIN.md §9). Pure: no DB, no HTTP, no I/O.
//!
//! The loop is 征集 → 核实 → 公示 → 认领 → 实现 → 反馈/销号. [`apply`] takes the current
//! [`RequestSnapshot`] and an [`Action`] and returns either the [`Transition`] to record (new
//! state, counters, a public note in Chinese) or a [`Refusal`] with a stable code and a message
//! naming the allowed next steps. Who may perform an action (staff, claimant, resident) is the
//! caller's check; the actor and the date are recorded by the caller with the transition.
//!
//! Decisions (each covered by a test):
//! - **State machine**:
//!
//!   | state    | actions → next state                                                      |
//!   |----------|---------------------------------------------------------------------------|
//!   | 征集     | verify → 核实                                                             |
//!   | 核实     | publish (派单) → 公示; sets `dispatched_on`                               |
//!   | 公示     | claim → 认领                                                              |
//!   | 认领     | fulfil → 已实现; release → 公示, or 上级协调 once hand-backs reach the limit |
//!   | 上级协调 | assign (the upper level names a claimant) → 认领                          |
//!   | 已实现   | rate 满意/基本满意 → 已销号; rate 不满意 → 认领 (重办) or 已销号;          |
//!   |          | close_no_feedback → 已销号                                                |
//!   | 已销号, 重复件, 不属受理范围, 无法办理 | none (`already_closed`)                     |
//!
//!   征集 … 上级协调 also allow close_duplicate → 重复件, close_out_of_scope → 不属受理范围 and
//!   close_unresolvable → 无法办理, each with a reason. Everything else is refused.
//! - **应收尽收**: there is no delete. A duplicate, out-of-scope or unresolvable request is
//!   closed in a state of its own with its reason in the public note.
//! - **Classes** (as FixMyStreet): 征集…上级协调 are *open*; 已实现 and 已销号 are *fixed*;
//!   重复件, 不属受理范围, 无法办理 are *closed*. Open311 `status` is "open" only for open states.
//! - **Deadline** runs from dispatch (公示 = 派单), never from the claim: it survives
//!   claims, releases and arbitration. It is reset only by 重办 after an 不满意 rating, which
//!   dispatches the request again to the same claimant.
//! - **Hand-backs**: each release counts. When the count reaches
//!   [`RequestRules::handbacks_before_arbitration`] the request goes to 上级协调 (`escalate`).
//!   The count is never reset, so after an arbitrated assignment any further release goes
//!   straight back up.
//! - **不满意**: the first [`RequestRules::reopen_on_unsatisfied`] 不满意 ratings send the
//!   request back to its claimant for 重办; the next one closes it as 已销号 with the rating kept.
//! - **No feedback**: once [`RequestRules::feedback_wait_days`] calendar days have passed since
//!   fulfilment without a rating, staff may close it. It is *not* counted as satisfied: the
//!   transition carries `rating: None`.
//! - **Working days**: see [`add_working_days`]. Days overdue are calendar days past the deadline.
//! - **Tracking codes**: 60 random bits as 12 Crockford base-32 symbols plus one check symbol
//!   (a weighted sum over GF(32)) that catches every single-symbol error and every transposition.
//!   Only [`TrackingCode::digest`] is stored.
//! - **Public text** never names an in-service member: they appear as "一名在职党员".

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Bound::{Excluded, Included};
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

crate::code_enum!(
    /// What the resident is asking for.
    RequestKind {
        Opinion = ("opinion", "社情民意"),
        Wish = ("wish", "微心愿"),
        Complaint = ("complaint", "投诉"),
    }
);

crate::code_enum!(
    /// How the request was collected. Seed \[002\]: 居民需求经“敲门”问卷+线上收集+“微光心愿箱”…
    /// 确保群众诉求应收尽收; grid workers and the hotline are the spec's other channels.
    Source {
        DoorKnocking = ("door_knocking", "入户走访问卷"),
        Online = ("online", "网上提交"),
        WishBox = ("wish_box", "微光心愿箱"),
        GridWorker = ("grid_worker", "网格员上报"),
        Hotline = ("hotline", "热线电话"),
    }
);

crate::code_enum!(
    /// Where a request is in the loop. 征集: collected, not yet verified; 核实: verified;
    /// 公示: dispatched, open for claiming; 认领: claimed; 上级协调: sent up one level after
    /// repeated hand-backs; 已实现: done, awaiting the resident's rating; 已销号: closed after
    /// feedback (or after the feedback wait); the other three are closures with a reason.
    State {
        Collected = ("collected", "征集"),
        Verified = ("verified", "核实"),
        Published = ("published", "公示"),
        Claimed = ("claimed", "认领"),
        Arbitration = ("arbitration", "上级协调"),
        Fulfilled = ("fulfilled", "已实现"),
        Closed = ("closed", "已销号"),
        ClosedDuplicate = ("closed_duplicate", "重复件"),
        ClosedOutOfScope = ("closed_out_of_scope", "不属受理范围"),
        ClosedUnresolvable = ("closed_unresolvable", "无法办理"),
    }
);

crate::code_enum!(
    /// FixMyStreet's three kinds of state.
    StateClass {
        Open = ("open", "办理中"),
        Fixed = ("fixed", "已解决"),
        Closed = ("closed", "已关闭"),
    }
);

crate::code_enum!(
    /// The resident's rating of the result.
    Rating {
        Satisfied = ("satisfied", "满意"),
        Basic = ("basic", "基本满意"),
        Unsatisfied = ("unsatisfied", "不满意"),
    }
);

crate::code_enum!(
    /// Who claims a request: a vanguard team, an in-service member (在职党员到社区报到), or an
    /// organization (e.g. a 包联单位 or the upper level itself).
    ClaimantKind {
        VanguardTeam = ("vanguard_team", "先锋队"),
        Member = ("member", "在职党员"),
        Org = ("org", "组织"),
    }
);

crate::code_enum!(
    /// The kind of an [`Action`], for [`allowed_actions`] and UI buttons.
    ActionKind {
        Verify = ("verify", "核实"),
        Publish = ("publish", "派单公示"),
        Claim = ("claim", "认领"),
        Release = ("release", "退回"),
        Assign = ("assign", "上级指派"),
        Fulfil = ("fulfil", "办结"),
        Rate = ("rate", "评价"),
        CloseDuplicate = ("close_duplicate", "按重复件关闭"),
        CloseOutOfScope = ("close_out_of_scope", "按不属受理范围关闭"),
        CloseUnresolvable = ("close_unresolvable", "按无法办理关闭"),
        CloseNoFeedback = ("close_no_feedback", "逾期未评价销号"),
    }
);

crate::code_enum!(
    /// Stable refusal codes (API, tests); the label is a short Chinese title.
    RefusalCode {
        SkipStep = ("skip_step", "不能跳过环节"),
        AlreadyClosed = ("already_closed", "诉求已关闭"),
        NotFulfilled = ("not_fulfilled", "尚未实现"),
        NotClaimed = ("not_claimed", "尚未认领"),
        AlreadyClaimed = ("already_claimed", "已被认领"),
        NotInArbitration = ("not_in_arbitration", "不在上级协调中"),
        WrongState = ("wrong_state", "当前状态不能执行该操作"),
        ReasonRequired = ("reason_required", "须填写理由"),
        NoteRequired = ("note_required", "须说明办理情况"),
        ClaimantRequired = ("claimant_required", "须指明认领方"),
        DuplicateOfRequired = ("duplicate_of_required", "须指明原诉求"),
        FeedbackPending = ("feedback_pending", "评价期未满"),
    }
);

impl State {
    /// Open, fixed or closed (FixMyStreet's classes).
    pub fn class(self) -> StateClass {
        match self {
            State::Collected
            | State::Verified
            | State::Published
            | State::Claimed
            | State::Arbitration => StateClass::Open,
            State::Fulfilled | State::Closed => StateClass::Fixed,
            State::ClosedDuplicate | State::ClosedOutOfScope | State::ClosedUnresolvable => {
                StateClass::Closed
            }
        }
    }

    /// Open311 GeoReport v2 `status`: "open" for open states, "closed" otherwise. The richer
    /// status goes in `status_notes` ([`public_status_note`]).
    pub fn open311_status(self) -> &'static str {
        if self.class() == StateClass::Open {
            "open"
        } else {
            "closed"
        }
    }

    /// No action is possible any more (已销号 and the three closures).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Closed
                | State::ClosedDuplicate
                | State::ClosedOutOfScope
                | State::ClosedUnresolvable
        )
    }
}

/// Who claimed (or was assigned) a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimant {
    pub kind: ClaimantKind,
    pub id: i64,
    pub name: String,
}

impl Claimant {
    /// The name shown to the public: teams and organizations by name, an in-service member
    /// only as "一名在职党员" (no personal data in public text).
    pub fn public_name(&self) -> String {
        match self.kind {
            ClaimantKind::Member => "一名在职党员".to_string(),
            _ if self.name.trim().is_empty() => self.kind.label().to_string(),
            _ => self.name.trim().to_string(),
        }
    }
}

/// What someone does to a request. Reasons and the fulfilment note are public text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 核实: staff confirm the request is real and in scope.
    Verify,
    /// 公示 = 派单: the verified request is published for claiming; the deadline starts today.
    Publish,
    /// 认领 by a vanguard team, an in-service member or an organization.
    Claim {
        claimant: Claimant,
    },
    /// The claimant hands the request back.
    Release {
        reason: String,
    },
    /// The upper level, arbitrating, assigns the request to a claimant.
    Assign {
        claimant: Claimant,
    },
    /// 实现: the claimant reports what was done.
    Fulfil {
        note: String,
    },
    /// The resident's rating. The comment is kept by the caller, never put in the public note.
    Rate {
        rating: Rating,
        comment: String,
    },
    /// Closed as a duplicate of request `of` (its id; never a tracking code, which is secret).
    CloseDuplicate {
        of: i64,
        reason: String,
    },
    CloseOutOfScope {
        reason: String,
    },
    CloseUnresolvable {
        reason: String,
    },
    /// Staff close a fulfilled request after the feedback wait with no rating.
    CloseNoFeedback,
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Verify => ActionKind::Verify,
            Action::Publish => ActionKind::Publish,
            Action::Claim { .. } => ActionKind::Claim,
            Action::Release { .. } => ActionKind::Release,
            Action::Assign { .. } => ActionKind::Assign,
            Action::Fulfil { .. } => ActionKind::Fulfil,
            Action::Rate { .. } => ActionKind::Rate,
            Action::CloseDuplicate { .. } => ActionKind::CloseDuplicate,
            Action::CloseOutOfScope { .. } => ActionKind::CloseOutOfScope,
            Action::CloseUnresolvable { .. } => ActionKind::CloseUnresolvable,
            Action::CloseNoFeedback => ActionKind::CloseNoFeedback,
        }
    }
}

/// What [`apply`] needs to know about a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSnapshot {
    pub state: State,
    /// The category's expected number of working days.
    pub expected_days: u32,
    /// Releases so far (never reset).
    pub handbacks: u32,
    /// 不满意 ratings so far.
    pub unsatisfied: u32,
    /// The last dispatch (公示, or 重办).
    pub dispatched_on: Option<NaiveDate>,
    pub fulfilled_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub claimant: Option<Claimant>,
}

impl RequestSnapshot {
    /// A newly collected request.
    pub fn new(expected_days: u32) -> Self {
        RequestSnapshot {
            state: State::Collected,
            expected_days,
            handbacks: 0,
            unsatisfied: 0,
            dispatched_on: None,
            fulfilled_on: None,
            closed_on: None,
            claimant: None,
        }
    }

    /// The deadline, once dispatched.
    pub fn deadline(&self, cal: &Calendar) -> Option<NaiveDate> {
        self.dispatched_on
            .map(|d| deadline(cal, d, self.expected_days))
    }
}

/// The outcome of an accepted action: what the caller records (with the actor) and shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub action: ActionKind,
    pub from: State,
    pub to: State,
    /// The date of the action (`today`).
    pub on: NaiveDate,
    /// Hand-backs after this action.
    pub handbacks: u32,
    /// 不满意 ratings after this action.
    pub unsatisfied: u32,
    /// Sent one level up for arbitration by this action.
    pub escalate: bool,
    /// `Some(today)` when this action dispatches (公示, 重办); `None` leaves the date as it was.
    pub dispatched_on: Option<NaiveDate>,
    /// The claimant after this action (`None` after a release).
    pub claimant: Option<Claimant>,
    /// The rating given by this action, if any (`None` for close_no_feedback).
    pub rating: Option<Rating>,
    /// An 不满意 rating sent the request back for 重办.
    pub reopened: bool,
    /// Public note in Chinese; never names an in-service member.
    pub note: String,
}

impl Transition {
    /// The snapshot after this transition.
    pub fn apply_to(&self, before: &RequestSnapshot) -> RequestSnapshot {
        RequestSnapshot {
            state: self.to,
            expected_days: before.expected_days,
            handbacks: self.handbacks,
            unsatisfied: self.unsatisfied,
            dispatched_on: self.dispatched_on.or(before.dispatched_on),
            fulfilled_on: match self.to {
                State::Fulfilled => Some(self.on),
                _ if self.reopened => None,
                _ => before.fulfilled_on,
            },
            closed_on: if self.to.is_final() {
                Some(self.on)
            } else {
                None
            },
            claimant: self.claimant.clone(),
        }
    }
}

/// Why an action was refused: a stable code and a Chinese message saying what is wrong and
/// what can be done next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub code: RefusalCode,
    pub message: String,
}

/// The actions possible in a state, in UI order. `close_no_feedback` is listed for 已实现 but
/// succeeds only after the feedback wait; `rate` is the resident's.
pub fn allowed_actions(state: State) -> Vec<ActionKind> {
    use ActionKind as A;
    const CLOSURES: [ActionKind; 3] = [A::CloseDuplicate, A::CloseOutOfScope, A::CloseUnresolvable];
    let main: &[ActionKind] = match state {
        State::Collected => &[A::Verify],
        State::Verified => &[A::Publish],
        State::Published => &[A::Claim],
        State::Claimed => &[A::Fulfil, A::Release],
        State::Arbitration => &[A::Assign],
        State::Fulfilled => return vec![A::Rate, A::CloseNoFeedback],
        _ => return Vec::new(),
    };
    main.iter().chain(CLOSURES.iter()).copied().collect()
}

/// Why `kind` is not possible in `state` (`None` if it is, by state alone).
fn state_refusal(state: State, kind: ActionKind) -> Option<(RefusalCode, &'static str)> {
    use ActionKind as A;
    use RefusalCode as R;
    use State as S;
    if state.is_final() {
        return Some((
            R::AlreadyClosed,
            "诉求已关闭，不能再办理；如群众仍有诉求，请登记为新诉求（原记录保留）",
        ));
    }
    if allowed_actions(state).contains(&kind) {
        return None;
    }
    Some(match (kind, state) {
        (A::Verify, _) => (R::WrongState, "诉求已核实，不能重复核实"),
        (A::Publish, S::Collected) => (R::SkipStep, "诉求尚未核实，须先核实再派单公示"),
        (A::Publish, _) => (R::WrongState, "诉求已派单公示，不能重复派单"),
        (A::Claim, S::Collected | S::Verified) => (R::SkipStep, "诉求尚未派单公示，不能认领"),
        (A::Claim, S::Claimed) => (R::AlreadyClaimed, "诉求已被认领"),
        (A::Claim, S::Arbitration) => (R::WrongState, "诉求在上级协调中，由上级指派办理方"),
        (A::Claim, _) => (R::WrongState, "诉求已实现，不能再认领"),
        (A::Release, S::Fulfilled) => (R::WrongState, "诉求已实现，不能退回"),
        (A::Release, _) => (R::NotClaimed, "诉求尚未被认领，无从退回"),
        (A::Assign, _) => (R::NotInArbitration, "只有上级协调中的诉求才能由上级指派"),
        (A::Fulfil, S::Collected | S::Verified) => {
            (R::SkipStep, "诉求尚未派单公示和认领，不能办结")
        }
        (A::Fulfil, S::Fulfilled) => (R::WrongState, "诉求已实现，不能重复办结"),
        (A::Fulfil, _) => (R::NotClaimed, "诉求尚未被认领，不能办结"),
        (A::Rate | A::CloseNoFeedback, _) => (R::NotFulfilled, "诉求尚未实现，不能评价或销号"),
        (A::CloseDuplicate | A::CloseOutOfScope | A::CloseUnresolvable, _) => {
            (R::WrongState, "诉求已实现，只能由群众评价或逾期未评价销号")
        }
    })
}

fn refuse(code: RefusalCode, what: &str, state: State) -> Refusal {
    let next = allowed_actions(state);
    let next = if next.is_empty() {
        "无".to_string()
    } else {
        next.iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join("、")
    };
    Refusal {
        code,
        message: format!("{what}。当前状态：{}；可进行：{next}", state.label()),
    }
}

/// A trimmed, non-empty text or a refusal with `code`.
fn required(text: &str, code: RefusalCode, what: &str, state: State) -> Result<String, Refusal> {
    let t = text.trim();
    if t.is_empty() {
        Err(refuse(code, what, state))
    } else {
        Ok(t.to_string())
    }
}

fn valid_claimant(c: &Claimant, state: State) -> Result<(), Refusal> {
    if c.id <= 0 || c.name.trim().is_empty() {
        return Err(refuse(
            RefusalCode::ClaimantRequired,
            "须指明认领方（编号和名称）",
            state,
        ));
    }
    Ok(())
}

/// `d` as "2026年10月9日".
fn cn_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// Applies `action` to `current` on `today`. Pure: the caller stores the transition.
pub fn apply(
    rules: &RequestRules,
    current: &RequestSnapshot,
    action: &Action,
    today: NaiveDate,
) -> Result<Transition, Refusal> {
    let state = current.state;
    let kind = action.kind();
    if let Some((code, what)) = state_refusal(state, kind) {
        return Err(refuse(code, what, state));
    }
    let who = |c: &Option<Claimant>| {
        c.as_ref()
            .map_or("认领方".to_string(), Claimant::public_name)
    };
    let mut t = Transition {
        action: kind,
        from: state,
        to: state,
        on: today,
        handbacks: current.handbacks,
        unsatisfied: current.unsatisfied,
        escalate: false,
        dispatched_on: None,
        claimant: current.claimant.clone(),
        rating: None,
        reopened: false,
        note: String::new(),
    };
    match action {
        Action::Verify => {
            t.to = State::Verified;
            t.note = "已核实，待派单公示".into();
        }
        Action::Publish => {
            t.to = State::Published;
            t.dispatched_on = Some(today);
            let due = deadline(&rules.calendar, today, current.expected_days);
            t.note = format!(
                "已派单公示，等待认领；办理时限{}个工作日，办结期限{}",
                current.expected_days,
                cn_date(due)
            );
        }
        Action::Claim { claimant } | Action::Assign { claimant } => {
            valid_claimant(claimant, state)?;
            t.to = State::Claimed;
            t.claimant = Some(claimant.clone());
            t.note = if kind == ActionKind::Claim {
                format!("已由{}认领", claimant.public_name())
            } else {
                format!("经上级协调，指派{}办理", claimant.public_name())
            };
        }
        Action::Release { reason } => {
            let reason = required(reason, RefusalCode::ReasonRequired, "退回须说明理由", state)?;
            t.handbacks = current.handbacks.saturating_add(1);
            t.claimant = None;
            t.escalate = t.handbacks >= rules.handbacks_before_arbitration;
            let then = if t.escalate {
                t.to = State::Arbitration;
                "已提交上一级协调"
            } else {
                t.to = State::Published;
                "重新公示待认领"
            };
            t.note = format!(
                "{}退回（累计退回{}次）：{reason}；{then}",
                who(&current.claimant),
                t.handbacks
            );
        }
        Action::Fulfil { note } => {
            let note = required(note, RefusalCode::NoteRequired, "办结须说明办理情况", state)?;
            t.to = State::Fulfilled;
            t.note = format!("{}已办结：{note}；等待群众评价", who(&current.claimant));
        }
        Action::Rate { rating, .. } => {
            t.rating = Some(*rating);
            if *rating != Rating::Unsatisfied {
                t.to = State::Closed;
                t.note = format!("群众评价：{rating}；已销号");
            } else {
                t.unsatisfied = current.unsatisfied.saturating_add(1);
                if current.unsatisfied < rules.reopen_on_unsatisfied {
                    t.reopened = true;
                    t.dispatched_on = Some(today);
                    let due = deadline(&rules.calendar, today, current.expected_days);
                    let back = if current.claimant.is_some() {
                        t.to = State::Claimed;
                        format!("退回{}重办", who(&current.claimant))
                    } else {
                        t.to = State::Published;
                        "重新公示待认领".to_string()
                    };
                    t.note = format!(
                        "群众评价：不满意；{back}（第{}次重办），办结期限{}",
                        t.unsatisfied,
                        cn_date(due)
                    );
                } else {
                    t.to = State::Closed;
                    let redone = match current.unsatisfied {
                        0 => String::new(),
                        n => format!("已重办{n}次，"),
                    };
                    t.note =
                        format!("群众评价：不满意；{redone}按规定销号，不满意评价记入办理记录");
                }
            }
        }
        Action::CloseDuplicate { of, reason } => {
            let reason = required(
                reason,
                RefusalCode::ReasonRequired,
                "按重复件关闭须说明理由",
                state,
            )?;
            if *of <= 0 {
                return Err(refuse(
                    RefusalCode::DuplicateOfRequired,
                    "按重复件关闭须指明原诉求",
                    state,
                ));
            }
            t.to = State::ClosedDuplicate;
            t.note = format!("按重复件关闭：{reason}；由原诉求继续办理");
        }
        Action::CloseOutOfScope { reason } => {
            let reason = required(
                reason,
                RefusalCode::ReasonRequired,
                "按不属受理范围关闭须说明理由",
                state,
            )?;
            t.to = State::ClosedOutOfScope;
            t.note = format!("不属受理范围，已关闭：{reason}");
        }
        Action::CloseUnresolvable { reason } => {
            let reason = required(
                reason,
                RefusalCode::ReasonRequired,
                "按无法办理关闭须说明理由",
                state,
            )?;
            t.to = State::ClosedUnresolvable;
            t.note = format!("无法办理，已关闭：{reason}");
        }
        Action::CloseNoFeedback => {
            let wait = rules.feedback_wait_days;
            let open_from = current
                .fulfilled_on
                .and_then(|f| f.checked_add_days(Days::new(u64::from(wait))));
            match open_from {
                Some(d) if today >= d => {}
                Some(d) => {
                    let what =
                        format!("办结后{wait}日内等待群众评价，{}起方可逾期销号", cn_date(d));
                    return Err(refuse(RefusalCode::FeedbackPending, &what, state));
                }
                None => {
                    return Err(refuse(
                        RefusalCode::FeedbackPending,
                        "未记录办结日期，无法判断评价期",
                        state,
                    ));
                }
            }
            t.to = State::Closed;
            t.note = format!("办结后{wait}日内未收到群众评价，已销号（未评价，不视为满意）");
        }
    }
    Ok(t)
}

/// The status line shown to the public and sent as Open311 `status_notes`. It names teams and
/// organizations but never an in-service member.
pub fn public_status_note(state: State, claimant: Option<&Claimant>) -> String {
    let who = claimant.map_or("认领方".to_string(), Claimant::public_name);
    match state {
        State::Collected => "已收到，待核实".into(),
        State::Verified => "已核实，待派单公示".into(),
        State::Published => "已公示，等待认领".into(),
        State::Claimed => format!("已由{who}认领，正在办理"),
        State::Arbitration => "多次退回，已提交上一级协调".into(),
        State::Fulfilled => format!("{who}已办结，等待群众评价"),
        State::Closed => "已销号".into(),
        State::ClosedDuplicate => "重复件，由原诉求继续办理".into(),
        State::ClosedOutOfScope => "不属受理范围，已关闭".into(),
        State::ClosedUnresolvable => "无法办理，已关闭".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Working-day calendar
// ---------------------------------------------------------------------------------------------

/// Working days: Monday to Friday, less `holidays`, plus `workdays` (调休 make-up Saturdays and
/// Sundays). A date in `workdays` is a working day even if also listed as a holiday;
/// [`Calendar::validate`] rejects that overlap.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Calendar {
    pub holidays: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Monday–Friday dates from 0001-01-01 (a Monday, day number 1) through `d`, up to a constant.
fn weekdays_through(d: NaiveDate) -> i64 {
    let n = i64::from(d.num_days_from_ce());
    n.div_euclid(7) * 5 + n.rem_euclid(7).min(5)
}

impl Calendar {
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.workdays.contains(&d) || !(is_weekend(d) || self.holidays.contains(&d))
    }

    /// No date both a holiday and a workday; every make-up workday is a Saturday or Sunday.
    pub fn validate(&self) -> Result<(), RulesError> {
        if let Some(d) = self.holidays.intersection(&self.workdays).next() {
            return Err(RulesError::Invalid(format!(
                "{} 同时列为节假日和调休上班日",
                cn_date(*d)
            )));
        }
        if let Some(d) = self.workdays.iter().find(|d| !is_weekend(**d)) {
            return Err(RulesError::Invalid(format!(
                "调休上班日 {} 不是周六或周日，本就是工作日",
                cn_date(*d)
            )));
        }
        Ok(())
    }
}

/// Working days `d` with `from < d <= to`; negative when `to < from`. So
/// `working_days_between(cal, from, add_working_days(cal, from, n)) == n`.
pub fn working_days_between(cal: &Calendar, from: NaiveDate, to: NaiveDate) -> i64 {
    if to < from {
        return -working_days_between(cal, to, from);
    }
    let range = (Excluded(from), Included(to));
    let mut n = weekdays_through(to) - weekdays_through(from);
    n -= cal
        .holidays
        .range(range)
        .filter(|h| !is_weekend(**h) && !cal.workdays.contains(*h))
        .count() as i64;
    n += cal
        .workdays
        .range(range)
        .filter(|w| is_weekend(**w))
        .count() as i64;
    n
}

/// The deadline `days` working days after `from`: the `days`-th working day strictly after
/// `from`, the request being due by the end of that day. `from` itself never counts, working
/// day or not (as 民法典 第二百零一条 counts periods: the starting day is not counted), so a
/// dispatch on Friday, Saturday or Sunday with 1 day is due on Monday. `days == 0` gives `from`.
pub fn add_working_days(cal: &Calendar, from: NaiveDate, days: u32) -> NaiveDate {
    if days == 0 {
        return from;
    }
    let at = |off: u64| {
        from.checked_add_days(Days::new(off))
            .unwrap_or(NaiveDate::MAX)
    };
    let need = i64::from(days);
    // Each weekday holiday delays the deadline by at most one weekday.
    let extra = cal
        .holidays
        .range((Excluded(from), Included(NaiveDate::MAX)))
        .count() as u64;
    let (mut lo, mut hi) = (1u64, (u64::from(days) + extra) * 7 / 5 + 7);
    if working_days_between(cal, from, at(hi)) < need {
        return NaiveDate::MAX;
    }
    // Smallest offset whose count reaches `need`; that day is a working day.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if working_days_between(cal, from, at(mid)) >= need {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    at(lo)
}

/// The deadline of a request dispatched on `dispatched_on` with `expected_days` working days.
pub fn deadline(cal: &Calendar, dispatched_on: NaiveDate, expected_days: u32) -> NaiveDate {
    add_working_days(cal, dispatched_on, expected_days)
}

/// Past its deadline (the deadline day itself is not overdue) and still open. Fulfilled and
/// closed requests are never overdue.
pub fn overdue(deadline: NaiveDate, today: NaiveDate, state: State) -> bool {
    state.class() == StateClass::Open && today > deadline
}

/// Calendar days past the deadline for an overdue request; 0 otherwise.
pub fn days_overdue(deadline: NaiveDate, today: NaiveDate, state: State) -> u32 {
    if overdue(deadline, today, state) {
        u32::try_from((today - deadline).num_days()).unwrap_or(u32::MAX)
    } else {
        0
    }
}

// ---------------------------------------------------------------------------------------------
// Rules (configuration)
// ---------------------------------------------------------------------------------------------

/// A request category with its expected handling time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub code: String,
    pub label: String,
    /// Working days from dispatch.
    pub expected_days: u32,
    /// The kind a request in this category usually is.
    pub kind: RequestKind,
}

impl Category {
    fn new(code: &str, label: &str, expected_days: u32, kind: RequestKind) -> Self {
        Category {
            code: code.into(),
            label: label.into(),
            expected_days,
            kind,
        }
    }
}

/// Invalid configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("诉求办理规则配置无效：{0}")]
    Invalid(String),
}

/// Request handling rules; a county's configuration may override any field (missing fields
/// keep their defaults).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestRules {
    /// Categories with expected days. The product spec: "category (configurable, each with an
    /// expected number of days)". The default list and days are local defaults, not from any
    /// regulation: each county sets its own.
    pub categories: Vec<Category>,
    /// Hand-backs that send a request to 上级协调. DOMAIN.md §9: "a request bounced between
    /// owners goes to arbitration one level up". Default 2, a product default: the second
    /// hand-back goes up.
    pub handbacks_before_arbitration: u32,
    /// 不满意 ratings that send the request back for 重办 before one closes it. Default 1, a
    /// product default: one 重办, then the rating is recorded and the request closed. 0 closes
    /// on the first 不满意.
    pub reopen_on_unsatisfied: u32,
    /// Calendar days after fulfilment with no rating before staff may close the request
    /// (反馈/销号 in the spec's loop). Default 7, a product default.
    pub feedback_wait_days: u32,
    /// Calendar days after closure during which the tracking code still works (the spec:
    /// "codes expire some time after closure"). Default 365, a product default.
    pub tracking_expires_days_after_close: u32,
    /// Holidays and make-up workdays. Empty by default: a county loads the State Council's
    /// annual notice (国务院办公厅关于部分节假日安排的通知) each year.
    pub calendar: Calendar,
}

impl Default for RequestRules {
    fn default() -> Self {
        use RequestKind::*;
        RequestRules {
            // Local defaults, to be set per county.
            categories: vec![
                Category::new("sanitation", "环境卫生", 5, Opinion),
                Category::new("roads_facilities", "道路设施", 10, Opinion),
                Category::new("neighbour_dispute", "邻里纠纷", 3, Complaint),
                Category::new("hardship_help", "生活困难帮扶", 7, Opinion),
                Category::new("micro_wish", "微心愿", 15, Wish),
                Category::new("policy_inquiry", "政策咨询", 3, Opinion),
                Category::new("other", "其他", 10, Opinion),
            ],
            handbacks_before_arbitration: 2,
            reopen_on_unsatisfied: 1,
            feedback_wait_days: 7,
            tracking_expires_days_after_close: 365,
            calendar: Calendar::default(),
        }
    }
}

impl RequestRules {
    /// Checks: at least one category; codes and labels non-empty and unique; expected days
    /// 1–365; hand-backs before arbitration ≥ 1; feedback wait ≥ 1 day; the calendar.
    pub fn validate(&self) -> Result<(), RulesError> {
        let bad = |m: String| Err(RulesError::Invalid(m));
        if self.categories.is_empty() {
            return bad("至少需要一个诉求类别".into());
        }
        let (mut codes, mut labels) = (BTreeSet::new(), BTreeSet::new());
        for c in &self.categories {
            if c.code.trim().is_empty() || c.label.trim().is_empty() {
                return bad("诉求类别的代码和名称不能为空".into());
            }
            if !codes.insert(c.code.trim()) {
                return bad(format!("诉求类别代码“{}”重复", c.code));
            }
            if !labels.insert(c.label.trim()) {
                return bad(format!("诉求类别名称“{}”重复", c.label));
            }
            if !(1..=365).contains(&c.expected_days) {
                return bad(format!(
                    "诉求类别“{}”的办理时限 {} 个工作日应在 1 至 365 之间",
                    c.label, c.expected_days
                ));
            }
        }
        if self.handbacks_before_arbitration == 0 {
            return bad("提交上级协调前的退回次数至少为 1".into());
        }
        if self.feedback_wait_days == 0 {
            return bad("等待群众评价的天数至少为 1".into());
        }
        self.calendar.validate()
    }

    /// The category with this code or label.
    pub fn category(&self, code_or_label: &str) -> Option<&Category> {
        let s = code_or_label.trim();
        self.categories.iter().find(|c| c.code == s || c.label == s)
    }
}

// ---------------------------------------------------------------------------------------------
// Tracking codes
// ---------------------------------------------------------------------------------------------

/// Crockford's base-32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random symbols (5 bits each: 60 bits of entropy).
const DATA_SYMBOLS: usize = 12;
/// Data symbols plus the check symbol.
const SYMBOLS: usize = DATA_SYMBOLS + 1;

/// Multiplication in GF(32) modulo the primitive polynomial x⁵ + x² + 1.
fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        b >>= 1;
        a <<= 1;
        if a & 0x20 != 0 {
            a ^= 0b10_0101;
        }
    }
    p
}

/// α^e in GF(32), α = x.
fn gf_pow(e: usize) -> u8 {
    (0..e % 31).fold(1, |acc, _| gf_mul(acc, 2))
}

/// Σ α^i · v_i over GF(32). A valid code sums to zero: distinct non-zero weights make every
/// single substitution and every transposition of two different symbols change the sum.
fn gf_checksum(values: &[u8]) -> u8 {
    values
        .iter()
        .enumerate()
        .fold(0, |acc, (i, &v)| acc ^ gf_mul(gf_pow(i), v))
}

fn symbol_value(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        c => c,
    };
    ALPHABET
        .iter()
        .position(|&a| char::from(a) == c)
        .map(|p| p as u8)
}

/// A resident's tracking code (查询码): 12 random Crockford base-32 symbols and a check symbol,
/// shown as `WG7K-2M9Q-XH4T-J`. Debug output hides it: it is a secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TrackingCode(String);

/// Why a typed tracking code was rejected (before any lookup).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrackingCodeError {
    #[error("查询码应为13位字母或数字（不计连字符），实际为{found}位")]
    WrongLength { found: usize },
    #[error("查询码第{position}位“{ch}”不是有效字符")]
    BadCharacter { ch: char, position: usize },
    #[error("查询码有误（校验位不符），请核对后重新输入")]
    BadCheck,
}

impl TrackingCode {
    /// A new code from the operating system's random source.
    pub fn generate() -> Self {
        Self::generate_with(&mut rand::rngs::OsRng)
    }

    /// A new code from a cryptographic random source.
    pub fn generate_with<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let bits = rng.next_u64();
        let mut v: Vec<u8> = (0..DATA_SYMBOLS)
            .map(|i| ((bits >> (5 * i)) & 31) as u8)
            .collect();
        // Solve Σ α^i v_i = 0 for the last symbol: v_12 = α^-12 · Σ_{i<12} α^i v_i.
        v.push(gf_mul(gf_pow(31 - DATA_SYMBOLS), gf_checksum(&v)));
        TrackingCode(
            v.iter()
                .map(|&x| char::from(ALPHABET[usize::from(x)]))
                .collect(),
        )
    }

    /// Parses a typed code: case-insensitive; dashes, spaces and full-width forms ignored or
    /// folded; O read as 0, I and L as 1; the check symbol must match.
    pub fn parse(s: &str) -> Result<Self, TrackingCodeError> {
        let mut values = Vec::with_capacity(SYMBOLS);
        for c in s.chars() {
            // Full-width ASCII (typed with a Chinese input method) → ASCII.
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                c => c,
            };
            if c.is_whitespace() || matches!(c, '-' | '—' | '–') {
                continue;
            }
            match symbol_value(c) {
                Some(v) => values.push(v),
                None => {
                    return Err(TrackingCodeError::BadCharacter {
                        ch: c,
                        position: values.len() + 1,
                    })
                }
            }
        }
        if values.len() != SYMBOLS {
            return Err(TrackingCodeError::WrongLength {
                found: values.len(),
            });
        }
        if gf_checksum(&values) != 0 {
            return Err(TrackingCodeError::BadCheck);
        }
        Ok(TrackingCode(
            values
                .iter()
                .map(|&x| char::from(ALPHABET[usize::from(x)]))
                .collect(),
        ))
    }

    /// The normalized code: 13 upper-case symbols, no dashes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Hex HMAC-SHA256 of the normalized code under the server's secret key: the only form the
    /// database keeps. Without the key (kept apart, see `db::secrets`) a stolen table of digests
    /// cannot be searched for codes at all.
    pub fn digest(&self, key: &[u8]) -> String {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(self.0.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The unkeyed SHA-256 that codes issued before the keyed digest were stored as: looked up
    /// too, so residents holding such codes can still follow their requests.
    pub fn legacy_digest(&self) -> String {
        Sha256::digest(self.0.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether a code of a request closed on `closed_on` no longer works on `today`: it works
    /// through the `tracking_expires_days_after_close`-th day after closure. Open requests'
    /// codes never expire.
    pub fn expired(closed_on: Option<NaiveDate>, today: NaiveDate, rules: &RequestRules) -> bool {
        closed_on.is_some_and(|c| {
            (today - c).num_days() > i64::from(rules.tracking_expires_days_after_close)
        })
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(f, "{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..])
    }
}

impl fmt::Debug for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TrackingCode(<hidden>)")
    }
}

impl FromStr for TrackingCode {
    type Err = TrackingCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrackingCode::parse(s)
    }
}

impl Serialize for TrackingCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TrackingCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TrackingCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};
    use serde::de::value::{Error as DeError, MapDeserializer};
    use std::collections::HashSet;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn team() -> Claimant {
        Claimant {
            kind: ClaimantKind::VanguardTeam,
            id: 7,
            name: "龙湖社区党员先锋队".into(),
        }
    }

    fn member() -> Claimant {
        Claimant {
            kind: ClaimantKind::Member,
            id: 42,
            name: "张三丰".into(),
        }
    }

    /// A valid action of each kind.
    fn sample(kind: ActionKind) -> Action {
        let reason = "理由".to_string();
        match kind {
            ActionKind::Verify => Action::Verify,
            ActionKind::Publish => Action::Publish,
            ActionKind::Claim => Action::Claim { claimant: team() },
            ActionKind::Release => Action::Release { reason },
            ActionKind::Assign => Action::Assign { claimant: team() },
            ActionKind::Fulfil => Action::Fulfil {
                note: "已更换门禁".into(),
            },
            ActionKind::Rate => Action::Rate {
                rating: Rating::Satisfied,
                comment: String::new(),
            },
            ActionKind::CloseDuplicate => Action::CloseDuplicate { of: 11, reason },
            ActionKind::CloseOutOfScope => Action::CloseOutOfScope { reason },
            ActionKind::CloseUnresolvable => Action::CloseUnresolvable { reason },
            ActionKind::CloseNoFeedback => Action::CloseNoFeedback,
        }
    }

    /// A consistent snapshot in `state`.
    fn snap(state: State) -> RequestSnapshot {
        let mut s = RequestSnapshot::new(5);
        s.state = state;
        if !matches!(state, State::Collected | State::Verified) {
            s.dispatched_on = Some(d(2026, 3, 2));
        }
        if matches!(state, State::Claimed | State::Fulfilled | State::Closed) {
            s.claimant = Some(team());
        }
        if matches!(state, State::Fulfilled | State::Closed) {
            s.fulfilled_on = Some(d(2026, 3, 6));
        }
        if state.is_final() {
            s.closed_on = Some(d(2026, 3, 20));
        }
        s
    }

    const TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 3, 30) {
        Some(x) => x,
        None => panic!(),
    };

    fn run(s: &RequestSnapshot, a: Action) -> Result<Transition, Refusal> {
        apply(&RequestRules::default(), s, &a, TODAY)
    }

    fn refused(s: State, a: Action) -> Refusal {
        run(&snap(s), a).expect_err("should be refused")
    }

    // ---- state machine ----------------------------------------------------------------

    #[test]
    fn every_allowed_transition() {
        use State as S;
        let cases: &[(State, ActionKind, State)] = &[
            (S::Collected, ActionKind::Verify, S::Verified),
            (S::Verified, ActionKind::Publish, S::Published),
            (S::Published, ActionKind::Claim, S::Claimed),
            (S::Claimed, ActionKind::Release, S::Published),
            (S::Claimed, ActionKind::Fulfil, S::Fulfilled),
            (S::Arbitration, ActionKind::Assign, S::Claimed),
            (S::Fulfilled, ActionKind::Rate, S::Closed),
            (S::Fulfilled, ActionKind::CloseNoFeedback, S::Closed),
        ];
        for &(from, kind, to) in cases {
            let t = run(&snap(from), sample(kind)).unwrap();
            assert_eq!(
                (t.from, t.to, t.action),
                (from, to, kind),
                "{from:?} {kind:?}"
            );
            assert!(!t.note.is_empty());
            assert_eq!(t.on, TODAY);
        }
        for from in [
            S::Collected,
            S::Verified,
            S::Published,
            S::Claimed,
            S::Arbitration,
        ] {
            for (kind, to) in [
                (ActionKind::CloseDuplicate, S::ClosedDuplicate),
                (ActionKind::CloseOutOfScope, S::ClosedOutOfScope),
                (ActionKind::CloseUnresolvable, S::ClosedUnresolvable),
            ] {
                let t = run(&snap(from), sample(kind)).unwrap();
                assert_eq!(t.to, to);
                assert!(
                    t.note.contains("理由"),
                    "closure note carries the reason: {}",
                    t.note
                );
                assert_eq!(t.apply_to(&snap(from)).closed_on, Some(TODAY));
            }
        }
    }

    #[test]
    fn apply_agrees_with_allowed_actions() {
        for &state in State::ALL {
            for &kind in ActionKind::ALL {
                let r = run(&snap(state), sample(kind));
                assert_eq!(
                    r.is_ok(),
                    allowed_actions(state).contains(&kind),
                    "{state:?} {kind:?}: {r:?}"
                );
            }
        }
    }

    #[test]
    fn publish_sets_dispatch_and_deadline() {
        let t = run(&snap(State::Verified), Action::Publish).unwrap();
        assert_eq!(t.dispatched_on, Some(TODAY));
        // Monday 2026-03-30 + 5 working days = Monday 2026-04-06 (no holidays configured).
        assert_eq!(
            t.note,
            "已派单公示，等待认领；办理时限5个工作日，办结期限2026年4月6日"
        );
        // Later steps keep the dispatch date.
        let s = t.apply_to(&snap(State::Verified));
        let c = run(&s, sample(ActionKind::Claim)).unwrap();
        assert_eq!(c.dispatched_on, None);
        assert_eq!(c.apply_to(&s).dispatched_on, Some(TODAY));
        assert_eq!(c.note, "已由龙湖社区党员先锋队认领");
    }

    #[test]
    fn required_refusals() {
        let r = refused(State::Closed, sample(ActionKind::Claim));
        assert_eq!(r.code, RefusalCode::AlreadyClosed);
        assert!(
            r.message.contains("当前状态：已销号；可进行：无"),
            "{}",
            r.message
        );

        let r = refused(State::Claimed, sample(ActionKind::Rate));
        assert_eq!(r.code, RefusalCode::NotFulfilled);
        assert!(
            r.message.contains("可进行：办结、退回、按重复件关闭"),
            "{}",
            r.message
        );

        let r = refused(State::Collected, Action::Publish);
        assert_eq!(r.code, RefusalCode::SkipStep);
        assert!(
            r.message.starts_with("诉求尚未核实，须先核实再派单公示。"),
            "{}",
            r.message
        );
        assert!(r.message.contains("可进行：核实"));

        for s in [
            State::Collected,
            State::Verified,
            State::Published,
            State::Arbitration,
        ] {
            assert_eq!(
                refused(s, sample(ActionKind::Release)).code,
                RefusalCode::NotClaimed,
                "{s:?}"
            );
        }

        for reason in ["", "  \n "] {
            let r = refused(
                State::Collected,
                Action::CloseDuplicate {
                    of: 3,
                    reason: reason.into(),
                },
            );
            assert_eq!(r.code, RefusalCode::ReasonRequired);
        }
        let r = refused(
            State::Collected,
            Action::CloseDuplicate {
                of: 0,
                reason: "同一路灯".into(),
            },
        );
        assert_eq!(r.code, RefusalCode::DuplicateOfRequired);

        for &s in State::ALL.iter().filter(|s| s.is_final()) {
            assert!(allowed_actions(s).is_empty());
            for &k in ActionKind::ALL {
                assert_eq!(
                    refused(s, sample(k)).code,
                    RefusalCode::AlreadyClosed,
                    "{s:?} {k:?}"
                );
            }
        }
    }

    #[test]
    fn other_refusals() {
        use RefusalCode as R;
        assert_eq!(
            refused(State::Verified, sample(ActionKind::Claim)).code,
            R::SkipStep
        );
        assert_eq!(
            refused(State::Collected, sample(ActionKind::Fulfil)).code,
            R::SkipStep
        );
        assert_eq!(
            refused(State::Published, sample(ActionKind::Fulfil)).code,
            R::NotClaimed
        );
        assert_eq!(
            refused(State::Claimed, sample(ActionKind::Claim)).code,
            R::AlreadyClaimed
        );
        assert_eq!(
            refused(State::Arbitration, sample(ActionKind::Claim)).code,
            R::WrongState
        );
        assert_eq!(
            refused(State::Claimed, sample(ActionKind::Assign)).code,
            R::NotInArbitration
        );
        assert_eq!(
            refused(State::Published, Action::Verify).code,
            R::WrongState
        );
        assert_eq!(
            refused(State::Fulfilled, sample(ActionKind::CloseUnresolvable)).code,
            R::WrongState
        );
        assert_eq!(
            refused(State::Claimed, Action::Release { reason: " ".into() }).code,
            R::ReasonRequired
        );
        assert_eq!(
            refused(State::Claimed, Action::Fulfil { note: "".into() }).code,
            R::NoteRequired
        );
        assert_eq!(
            refused(
                State::Published,
                Action::CloseOutOfScope { reason: "".into() }
            )
            .code,
            R::ReasonRequired
        );
        assert_eq!(
            refused(
                State::Claimed,
                Action::CloseUnresolvable { reason: "".into() }
            )
            .code,
            R::ReasonRequired
        );
        let nobody = Claimant {
            kind: ClaimantKind::Org,
            id: 0,
            name: "街道".into(),
        };
        assert_eq!(
            refused(State::Published, Action::Claim { claimant: nobody }).code,
            R::ClaimantRequired
        );
        let nameless = Claimant {
            kind: ClaimantKind::Org,
            id: 3,
            name: " ".into(),
        };
        assert_eq!(
            refused(State::Arbitration, Action::Assign { claimant: nameless }).code,
            R::ClaimantRequired
        );
        // The refusal's Display is its message.
        let r = refused(State::Collected, Action::Publish);
        assert_eq!(r.to_string(), r.message);
    }

    #[test]
    fn handbacks_reach_arbitration_and_stay_escalated() {
        let rules = RequestRules::default();
        let mut s = snap(State::Published);
        let claim = Action::Claim { claimant: team() };
        let release = Action::Release {
            reason: "人手不足".into(),
        };

        s = apply(&rules, &s, &claim, TODAY).unwrap().apply_to(&s);
        let t = apply(&rules, &s, &release, TODAY).unwrap();
        assert_eq!(
            (t.to, t.handbacks, t.escalate, t.claimant.clone()),
            (State::Published, 1, false, None)
        );
        assert_eq!(
            t.note,
            "龙湖社区党员先锋队退回（累计退回1次）：人手不足；重新公示待认领"
        );
        s = t.apply_to(&s);

        s = apply(&rules, &s, &claim, TODAY).unwrap().apply_to(&s);
        let t = apply(&rules, &s, &release, TODAY).unwrap();
        assert_eq!(
            (t.to, t.handbacks, t.escalate),
            (State::Arbitration, 2, true)
        );
        assert!(t.note.ends_with("已提交上一级协调"));
        s = t.apply_to(&s);
        assert_eq!(
            s.dispatched_on,
            Some(d(2026, 3, 2)),
            "the deadline still runs from dispatch"
        );

        let org = Claimant {
            kind: ClaimantKind::Org,
            id: 5,
            name: "县住建局".into(),
        };
        let t = apply(
            &rules,
            &s,
            &Action::Assign {
                claimant: org.clone(),
            },
            TODAY,
        )
        .unwrap();
        assert_eq!((t.to, t.claimant.clone()), (State::Claimed, Some(org)));
        assert_eq!(t.note, "经上级协调，指派县住建局办理");
        s = t.apply_to(&s);

        let t = apply(&rules, &s, &release, TODAY).unwrap();
        assert_eq!(
            (t.to, t.handbacks, t.escalate),
            (State::Arbitration, 3, true)
        );

        // A limit of 1 escalates on the first hand-back.
        let strict = RequestRules {
            handbacks_before_arbitration: 1,
            ..RequestRules::default()
        };
        let t = apply(&strict, &snap(State::Claimed), &release, TODAY).unwrap();
        assert_eq!((t.to, t.escalate), (State::Arbitration, true));
    }

    fn rate(rating: Rating) -> Action {
        Action::Rate {
            rating,
            comment: "门禁还是坏的，联系我138xxxx".into(),
        }
    }

    #[test]
    fn unsatisfied_reopens_once_then_closes() {
        let rules = RequestRules::default();
        let s = snap(State::Fulfilled);
        let t = apply(&rules, &s, &rate(Rating::Unsatisfied), TODAY).unwrap();
        assert_eq!(
            (t.to, t.unsatisfied, t.reopened, t.rating),
            (State::Claimed, 1, true, Some(Rating::Unsatisfied))
        );
        assert_eq!(t.claimant, Some(team()));
        assert_eq!(t.dispatched_on, Some(TODAY), "重办 dispatches again");
        assert!(
            !t.note.contains("138"),
            "the resident's comment stays out of the public note"
        );
        assert_eq!(
            t.note,
            "群众评价：不满意；退回龙湖社区党员先锋队重办（第1次重办），办结期限2026年4月6日"
        );
        let s = t.apply_to(&s);
        assert_eq!((s.fulfilled_on, s.dispatched_on), (None, Some(TODAY)));

        let s = apply(
            &rules,
            &s,
            &Action::Fulfil {
                note: "已再次维修".into(),
            },
            TODAY,
        )
        .unwrap()
        .apply_to(&s);
        let t = apply(&rules, &s, &rate(Rating::Unsatisfied), TODAY).unwrap();
        assert_eq!(
            (t.to, t.unsatisfied, t.reopened, t.rating),
            (State::Closed, 2, false, Some(Rating::Unsatisfied))
        );
        assert_eq!(
            t.note,
            "群众评价：不满意；已重办1次，按规定销号，不满意评价记入办理记录"
        );
        assert_eq!(t.to.class(), StateClass::Fixed);
    }

    #[test]
    fn reopen_is_configurable() {
        let never = RequestRules {
            reopen_on_unsatisfied: 0,
            ..RequestRules::default()
        };
        let t = apply(
            &never,
            &snap(State::Fulfilled),
            &rate(Rating::Unsatisfied),
            TODAY,
        )
        .unwrap();
        assert_eq!((t.to, t.unsatisfied), (State::Closed, 1));
        assert_eq!(
            t.note,
            "群众评价：不满意；按规定销号，不满意评价记入办理记录"
        );

        let twice = RequestRules {
            reopen_on_unsatisfied: 2,
            ..RequestRules::default()
        };
        let mut s = snap(State::Fulfilled);
        s.unsatisfied = 1;
        let t = apply(&twice, &s, &rate(Rating::Unsatisfied), TODAY).unwrap();
        assert_eq!((t.to, t.unsatisfied), (State::Claimed, 2));
        s.unsatisfied = 2;
        assert_eq!(
            apply(&twice, &s, &rate(Rating::Unsatisfied), TODAY)
                .unwrap()
                .to,
            State::Closed
        );

        // Without a claimant on record, 重办 goes back to the pool.
        let mut s = snap(State::Fulfilled);
        s.claimant = None;
        let t = apply(&twice, &s, &rate(Rating::Unsatisfied), TODAY).unwrap();
        assert_eq!(t.to, State::Published);
    }

    #[test]
    fn satisfied_and_basic_close() {
        for r in [Rating::Satisfied, Rating::Basic] {
            let t = run(&snap(State::Fulfilled), rate(r)).unwrap();
            assert_eq!((t.to, t.rating, t.unsatisfied), (State::Closed, Some(r), 0));
            assert_eq!(t.note, format!("群众评价：{}；已销号", r.label()));
        }
    }

    #[test]
    fn close_without_feedback_waits_and_records_no_rating() {
        let rules = RequestRules::default();
        let mut s = snap(State::Fulfilled);
        s.fulfilled_on = Some(d(2026, 3, 23));
        let r = apply(&rules, &s, &Action::CloseNoFeedback, d(2026, 3, 29)).unwrap_err();
        assert_eq!(r.code, RefusalCode::FeedbackPending);
        assert!(r.message.contains("2026年3月30日起"), "{}", r.message);
        let t = apply(&rules, &s, &Action::CloseNoFeedback, d(2026, 3, 30)).unwrap();
        assert_eq!((t.to, t.rating), (State::Closed, None));
        assert!(t.note.contains("不视为满意"));
        s.fulfilled_on = None;
        let r = apply(&rules, &s, &Action::CloseNoFeedback, TODAY).unwrap_err();
        assert_eq!(r.code, RefusalCode::FeedbackPending);
    }

    #[test]
    fn full_loop_never_names_a_member() {
        let rules = RequestRules::default();
        let mut s = RequestSnapshot::new(rules.category("微心愿").unwrap().expected_days);
        let steps = [
            Action::Verify,
            Action::Publish,
            Action::Claim { claimant: member() },
            Action::Fulfil {
                note: "已送去助行器".into(),
            },
            rate(Rating::Satisfied),
        ];
        let mut states = vec![s.state];
        for a in &steps {
            let t = apply(&rules, &s, a, TODAY).unwrap();
            assert!(!t.note.contains("张"), "{}", t.note);
            assert!(!public_status_note(t.to, t.claimant.as_ref()).contains("张"));
            s = t.apply_to(&s);
            states.push(s.state);
        }
        use State as S;
        assert_eq!(
            states,
            [
                S::Collected,
                S::Verified,
                S::Published,
                S::Claimed,
                S::Fulfilled,
                S::Closed
            ]
        );
        assert_eq!(
            (s.closed_on, s.fulfilled_on, s.dispatched_on),
            (Some(TODAY), Some(TODAY), Some(TODAY))
        );
        assert_eq!(
            public_status_note(S::Claimed, Some(&member())),
            "已由一名在职党员认领，正在办理"
        );
        assert_eq!(
            public_status_note(S::Fulfilled, Some(&team())),
            "龙湖社区党员先锋队已办结，等待群众评价"
        );
        assert_eq!(
            public_status_note(S::Claimed, None),
            "已由认领方认领，正在办理"
        );
        let blank = Claimant {
            kind: ClaimantKind::Org,
            id: 1,
            name: "".into(),
        };
        assert_eq!(blank.public_name(), "组织");
    }

    #[test]
    fn classes_and_open311() {
        use State as S;
        for s in [
            S::Collected,
            S::Verified,
            S::Published,
            S::Claimed,
            S::Arbitration,
        ] {
            assert_eq!(
                (s.class(), s.open311_status(), s.is_final()),
                (StateClass::Open, "open", false)
            );
        }
        assert_eq!(
            (S::Fulfilled.class(), S::Fulfilled.open311_status()),
            (StateClass::Fixed, "closed")
        );
        assert!(!S::Fulfilled.is_final());
        assert_eq!(
            (S::Closed.class(), S::Closed.open311_status()),
            (StateClass::Fixed, "closed")
        );
        for s in [
            S::ClosedDuplicate,
            S::ClosedOutOfScope,
            S::ClosedUnresolvable,
        ] {
            assert_eq!(
                (s.class(), s.open311_status(), s.is_final()),
                (StateClass::Closed, "closed", true)
            );
        }
        for &s in S::ALL {
            assert!(!public_status_note(s, None).is_empty());
        }
    }

    #[test]
    fn action_serde_tags_match_kind_codes() {
        let de: MapDeserializer<_, DeError> =
            MapDeserializer::new(vec![("action", "verify")].into_iter());
        assert_eq!(Action::deserialize(de).unwrap(), Action::Verify);
        let de: MapDeserializer<_, DeError> =
            MapDeserializer::new(vec![("action", "release"), ("reason", "外出")].into_iter());
        assert_eq!(
            Action::deserialize(de).unwrap(),
            Action::Release {
                reason: "外出".into()
            }
        );
        let de: MapDeserializer<_, DeError> =
            MapDeserializer::new(vec![("action", "close_no_feedback")].into_iter());
        assert_eq!(
            Action::deserialize(de).unwrap().kind(),
            ActionKind::CloseNoFeedback
        );
        assert_eq!(State::parse("上级协调"), Some(State::Arbitration));
        assert_eq!(Source::parse("wish_box"), Some(Source::WishBox));
    }

    // ---- rules -------------------------------------------------------------------------

    #[test]
    fn default_rules_validate_and_deserialize_from_partial_config() {
        let rules = RequestRules::default();
        rules.validate().unwrap();
        assert_eq!(rules.category("环境卫生").unwrap().expected_days, 5);
        assert_eq!(
            rules.category("micro_wish").unwrap().kind,
            RequestKind::Wish
        );
        assert!(rules.category("不存在").is_none());

        let de: MapDeserializer<_, DeError> =
            MapDeserializer::new(std::iter::empty::<(&str, u32)>());
        assert_eq!(RequestRules::deserialize(de).unwrap(), rules);
        let de: MapDeserializer<_, DeError> =
            MapDeserializer::new(vec![("handbacks_before_arbitration", 3u32)].into_iter());
        let r = RequestRules::deserialize(de).unwrap();
        assert_eq!(r.handbacks_before_arbitration, 3);
        assert_eq!(r.feedback_wait_days, 7);
    }

    #[test]
    fn validate_rejects_bad_config() {
        let bad = |f: &dyn Fn(&mut RequestRules)| {
            let mut r = RequestRules::default();
            f(&mut r);
            r.validate().unwrap_err()
        };
        bad(&|r| r.categories.clear());
        bad(&|r| r.categories[1].code = "sanitation".into());
        bad(&|r| r.categories[1].label = "环境卫生".into());
        bad(&|r| r.categories[0].label = " ".into());
        bad(&|r| r.categories[0].expected_days = 0);
        bad(&|r| r.categories[0].expected_days = 366);
        bad(&|r| r.handbacks_before_arbitration = 0);
        bad(&|r| r.feedback_wait_days = 0);
        let e = bad(&|r| {
            r.calendar.holidays.insert(d(2026, 10, 10));
            r.calendar.workdays.insert(d(2026, 10, 10));
        });
        assert!(e.to_string().contains("2026年10月10日"), "{e}");
        bad(&|r| {
            r.calendar.workdays.insert(d(2026, 10, 9)); // a Friday
        });
        let ok = RequestRules {
            calendar: cn_2026(),
            ..RequestRules::default()
        };
        ok.validate().unwrap();
    }

    // ---- calendar ----------------------------------------------------------------------

    /// 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
    fn cn_2026() -> Calendar {
        let mut c = Calendar::default();
        let mut off = |from: NaiveDate, to: NaiveDate| {
            let mut x = from;
            while x <= to {
                c.holidays.insert(x);
                x = x.succ_opt().unwrap();
            }
        };
        off(d(2026, 1, 1), d(2026, 1, 3)); // 元旦
        off(d(2026, 2, 15), d(2026, 2, 23)); // 春节
        off(d(2026, 4, 4), d(2026, 4, 6)); // 清明节
        off(d(2026, 5, 1), d(2026, 5, 5)); // 劳动节
        off(d(2026, 6, 19), d(2026, 6, 21)); // 端午节
        off(d(2026, 9, 25), d(2026, 9, 27)); // 中秋节
        off(d(2026, 10, 1), d(2026, 10, 7)); // 国庆节
        for w in [
            d(2026, 1, 4),
            d(2026, 2, 14),
            d(2026, 2, 28),
            d(2026, 5, 9),
            d(2026, 9, 20),
            d(2026, 10, 10),
        ] {
            c.workdays.insert(w);
        }
        c
    }

    fn naive_add(cal: &Calendar, from: NaiveDate, days: u32) -> NaiveDate {
        let (mut x, mut left) = (from, days);
        while left > 0 {
            x = x.succ_opt().unwrap();
            if cal.is_working_day(x) {
                left -= 1;
            }
        }
        x
    }

    #[test]
    fn weekends() {
        let c = Calendar::default();
        assert_eq!(d(2026, 3, 6).weekday(), Weekday::Fri);
        for from in [d(2026, 3, 6), d(2026, 3, 7), d(2026, 3, 8)] {
            assert_eq!(add_working_days(&c, from, 1), d(2026, 3, 9), "{from}");
            assert_eq!(add_working_days(&c, from, 5), d(2026, 3, 13), "{from}");
        }
        assert_eq!(add_working_days(&c, d(2026, 3, 9), 5), d(2026, 3, 16));
        assert_eq!(add_working_days(&c, d(2026, 3, 7), 0), d(2026, 3, 7));
        assert_eq!(working_days_between(&c, d(2026, 3, 6), d(2026, 3, 9)), 1);
        assert_eq!(working_days_between(&c, d(2026, 3, 9), d(2026, 3, 6)), -1);
        assert_eq!(working_days_between(&c, d(2026, 3, 7), d(2026, 3, 8)), 0);
        assert_eq!(working_days_between(&c, d(2026, 3, 9), d(2026, 3, 9)), 0);
    }

    #[test]
    fn month_ends_leap_years_and_year_end() {
        let c = Calendar::default();
        assert_eq!(add_working_days(&c, d(2026, 1, 30), 3), d(2026, 2, 4));
        assert_eq!(add_working_days(&c, d(2026, 1, 31), 1), d(2026, 2, 2)); // Saturday
        assert_eq!(add_working_days(&c, d(2027, 2, 26), 2), d(2027, 3, 2));
        assert_eq!(add_working_days(&c, d(2028, 2, 25), 2), d(2028, 2, 29));
        assert_eq!(add_working_days(&c, d(2028, 2, 28), 1), d(2028, 2, 29));
        assert_eq!(add_working_days(&c, d(2028, 2, 29), 1), d(2028, 3, 1));
        assert_eq!(working_days_between(&c, d(2028, 2, 1), d(2028, 3, 1)), 21); // Feb 29 is a Tuesday
        assert_eq!(working_days_between(&c, d(2027, 2, 1), d(2027, 3, 1)), 20);
        assert_eq!(add_working_days(&c, d(2026, 12, 31), 2), d(2027, 1, 4));
        let mut ny = Calendar::default();
        ny.holidays.insert(d(2027, 1, 1));
        assert_eq!(add_working_days(&ny, d(2026, 12, 31), 1), d(2027, 1, 4));
        assert_eq!(add_working_days(&ny, d(2026, 12, 31), 2), d(2027, 1, 5));
        assert_eq!(
            working_days_between(&ny, d(2026, 12, 1), d(2027, 1, 31)),
            22 + 20
        );
    }

    #[test]
    fn national_day_2026_and_make_up_workdays() {
        let c = cn_2026();
        assert_eq!(d(2026, 9, 20).weekday(), Weekday::Sun);
        assert_eq!(d(2026, 10, 10).weekday(), Weekday::Sat);
        assert!(c.is_working_day(d(2026, 9, 20)) && c.is_working_day(d(2026, 10, 10)));
        assert!(!c.is_working_day(d(2026, 10, 8 - 1)) && c.is_working_day(d(2026, 10, 8)));
        // Friday before a make-up Sunday.
        assert_eq!(add_working_days(&c, d(2026, 9, 18), 1), d(2026, 9, 20));
        assert_eq!(add_working_days(&c, d(2026, 9, 18), 5), d(2026, 9, 24));
        // Mid-Autumn (Sep 25–27) then National Day (Oct 1–7).
        assert_eq!(add_working_days(&c, d(2026, 9, 24), 1), d(2026, 9, 28));
        assert_eq!(add_working_days(&c, d(2026, 9, 24), 3), d(2026, 9, 30));
        assert_eq!(add_working_days(&c, d(2026, 9, 24), 4), d(2026, 10, 8));
        assert_eq!(add_working_days(&c, d(2026, 9, 30), 3), d(2026, 10, 10));
        assert_eq!(add_working_days(&c, d(2026, 9, 29), 5), d(2026, 10, 12));
        // Dispatched during the holiday.
        assert_eq!(add_working_days(&c, d(2026, 10, 3), 1), d(2026, 10, 8));
        assert_eq!(add_working_days(&c, d(2026, 10, 10), 1), d(2026, 10, 12));
        assert_eq!(working_days_between(&c, d(2026, 9, 30), d(2026, 10, 12)), 4);
        // Spring Festival: make-up Saturday Feb 14, holiday Feb 15–23.
        assert_eq!(add_working_days(&c, d(2026, 2, 13), 1), d(2026, 2, 14));
        assert_eq!(add_working_days(&c, d(2026, 2, 14), 1), d(2026, 2, 24));
        // 2026 has 248 working days under the notice (261 weekdays − 19 weekday holidays + 6).
        assert_eq!(
            working_days_between(&c, d(2025, 12, 31), d(2026, 12, 31)),
            248
        );
        // A rules-level deadline uses the configured calendar.
        let rules = RequestRules {
            calendar: c,
            ..RequestRules::default()
        };
        let t = apply(
            &rules,
            &snap(State::Verified),
            &Action::Publish,
            d(2026, 9, 30),
        )
        .unwrap();
        assert!(t.note.ends_with("办结期限2026年10月13日"), "{}", t.note);
    }

    #[test]
    fn fast_count_matches_day_by_day() {
        let c = cn_2026();
        let start = d(2025, 12, 1);
        for i in 0..420u64 {
            let from = start + Days::new(i);
            for n in [0u32, 1, 2, 3, 5, 7, 10, 15, 30] {
                let due = add_working_days(&c, from, n);
                assert_eq!(due, naive_add(&c, from, n), "{from} + {n}");
                assert_eq!(working_days_between(&c, from, due), i64::from(n));
            }
        }
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..2000 {
            let a = start + Days::new(rng.next_u64() % 420);
            let b = start + Days::new(rng.next_u64() % 420);
            let (lo, hi) = (a.min(b), a.max(b));
            let naive = lo
                .iter_days()
                .skip(1)
                .take_while(|x| *x <= hi)
                .filter(|x| c.is_working_day(*x))
                .count();
            let sign = if a <= b { 1 } else { -1 };
            assert_eq!(
                working_days_between(&c, a, b),
                sign * naive as i64,
                "{a} {b}"
            );
        }
        // Far dates neither loop nor panic.
        assert_eq!(
            add_working_days(&c, d(2026, 1, 1), 26_100),
            naive_add(&c, d(2026, 1, 1), 26_100)
        );
        assert_eq!(add_working_days(&c, NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(
            weekdays_through(d(1, 1, 1)) - weekdays_through(d(0, 12, 31)),
            1
        );
        assert_eq!(d(1, 1, 1).weekday(), Weekday::Mon);
    }

    #[test]
    fn overdue_only_for_open_states() {
        let due = d(2026, 10, 9); // Friday
        for &s in State::ALL {
            let open = s.class() == StateClass::Open;
            assert!(!overdue(due, due, s));
            assert_eq!(overdue(due, d(2026, 10, 10), s), open, "{s:?}");
            assert_eq!(
                days_overdue(due, d(2026, 10, 12), s),
                if open { 3 } else { 0 }
            );
            assert_eq!(days_overdue(due, d(2026, 10, 1), s), 0);
        }
        let s = snap(State::Claimed);
        assert_eq!(s.deadline(&Calendar::default()), Some(d(2026, 3, 9)));
        assert_eq!(snap(State::Verified).deadline(&Calendar::default()), None);
    }

    // ---- tracking codes ----------------------------------------------------------------

    #[test]
    fn gf32_is_a_field_with_a_primitive_alpha() {
        let powers: HashSet<u8> = (0..31).map(gf_pow).collect();
        assert_eq!(powers.len(), 31);
        assert!(!powers.contains(&0));
        assert_eq!(gf_pow(31), 1);
        for a in 1..32u8 {
            assert!((1..32u8).any(|b| gf_mul(a, b) == 1), "{a} has an inverse");
        }
    }

    #[test]
    fn tracking_code_round_trip_and_format() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            let c = TrackingCode::generate_with(&mut rng);
            let shown = c.to_string();
            assert_eq!(shown.len(), 16);
            assert_eq!(shown.matches('-').count(), 3);
            assert_eq!(TrackingCode::parse(&shown).unwrap(), c);
            assert_eq!(shown.parse::<TrackingCode>().unwrap(), c);
            assert_eq!(TrackingCode::parse(c.as_str()).unwrap(), c);
            assert!(c.as_str().bytes().all(|b| ALPHABET.contains(&b)));
        }
        let c = TrackingCode::generate();
        assert_eq!(TrackingCode::parse(&c.to_string()).unwrap(), c);
        assert_eq!(format!("{c:?}"), "TrackingCode(<hidden>)");
    }

    /// A fixed valid code, "WG7K-2M9Q-XH4T" plus its check symbol.
    fn fixed() -> TrackingCode {
        TrackingCode::parse(FIXED).unwrap()
    }
    const FIXED: &str = "WG7K-2M9Q-XH4T-J";

    #[test]
    fn tracking_code_normalization() {
        let c = fixed();
        assert_eq!(c.as_str(), "WG7K2M9QXH4TJ");
        for typed in [
            "wg7k-2m9q-xh4t-j",
            "WG7K2M9QXH4TJ",
            " wg7k 2m9q xh4t j ",
            "ＷＧ７Ｋ－２Ｍ９Ｑ－ＸＨ４Ｔ－Ｊ",
            "WG7K—2M9Q—XH4T—J",
        ] {
            assert_eq!(TrackingCode::parse(typed).unwrap(), c, "{typed}");
        }
        // O → 0, I and L → 1.
        let mut rng = StdRng::seed_from_u64(3);
        let with = (0..500)
            .map(|_| TrackingCode::generate_with(&mut rng))
            .find(|c| c.as_str().contains('0') && c.as_str().contains('1'))
            .unwrap();
        let s = with.as_str();
        for typed in [
            s.replace('0', "O"),
            s.replace('0', "o"),
            s.replace('1', "I"),
            s.replace('1', "l"),
        ] {
            assert_eq!(TrackingCode::parse(&typed).unwrap(), with, "{typed}");
        }
    }

    #[test]
    fn tracking_code_errors() {
        use TrackingCodeError as E;
        assert_eq!(
            TrackingCode::parse("WG7K-2M9Q-XH4T"),
            Err(E::WrongLength { found: 12 })
        );
        assert_eq!(TrackingCode::parse(""), Err(E::WrongLength { found: 0 }));
        assert_eq!(
            TrackingCode::parse("WG7K-2M9Q-XH4T-GG"),
            Err(E::WrongLength { found: 14 })
        );
        assert_eq!(
            TrackingCode::parse("WG7K-2M9U-XH4T-J"),
            Err(E::BadCharacter {
                ch: 'U',
                position: 8
            })
        );
        assert_eq!(
            TrackingCode::parse("WG7K-2M9Q-XH4T-*"),
            Err(E::BadCharacter {
                ch: '*',
                position: 13
            })
        );
        assert_eq!(TrackingCode::parse("WG7K-2M9Q-XH4T-H"), Err(E::BadCheck));
        assert_eq!(
            E::BadCheck.to_string(),
            "查询码有误（校验位不符），请核对后重新输入"
        );
    }

    #[test]
    fn check_symbol_catches_substitutions_and_transpositions() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut codes = vec![fixed()];
        codes.extend((0..20).map(|_| TrackingCode::generate_with(&mut rng)));
        for c in &codes {
            let s: Vec<u8> = c.as_str().bytes().collect();
            for i in 0..SYMBOLS {
                for &sub in ALPHABET.iter().filter(|&&a| a != s[i]) {
                    let mut t = s.clone();
                    t[i] = sub;
                    let typo = String::from_utf8(t).unwrap();
                    assert_eq!(
                        TrackingCode::parse(&typo),
                        Err(TrackingCodeError::BadCheck),
                        "{typo}"
                    );
                }
                for j in i + 1..SYMBOLS {
                    if s[i] != s[j] {
                        let mut t = s.clone();
                        t.swap(i, j);
                        let typo = String::from_utf8(t).unwrap();
                        assert_eq!(
                            TrackingCode::parse(&typo),
                            Err(TrackingCodeError::BadCheck),
                            "{typo}"
                        );
                    }
                }
            }
        }
        // Two examples spelled out: one wrong symbol, one adjacent swap.
        assert!(TrackingCode::parse("WG7K-2M9Q-XH5T-J").is_err());
        assert!(TrackingCode::parse("GW7K-2M9Q-XH4T-J").is_err());
    }

    #[test]
    fn ten_thousand_codes_are_distinct_and_spread() {
        let mut seen = HashSet::new();
        let mut counts = [0u32; 32];
        for _ in 0..10_000 {
            let c = TrackingCode::generate();
            for b in c.as_str().bytes().take(DATA_SYMBOLS) {
                counts[ALPHABET.iter().position(|&a| a == b).unwrap()] += 1;
            }
            assert!(seen.insert(c.as_str().to_string()));
        }
        // 120,000 symbols: about 3,750 each.
        assert!(
            counts.iter().all(|&n| (3_000..4_500).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn digest_is_keyed_and_stable() {
        let c = fixed();
        // The unkeyed digest of codes issued before the key existed.
        assert_eq!(
            c.legacy_digest(),
            "931e6e1e784802b3c664ffeddcc0cd31e38527a112239d63e193f57cc6250c73"
        );
        let (k1, k2) = (b"key one".as_slice(), b"key two".as_slice());
        assert_eq!(TrackingCode::parse("wg7k2m9qxh4tj").unwrap().digest(k1), c.digest(k1));
        assert_ne!(c.digest(k1), c.digest(k2), "another key, another digest");
        assert_ne!(c.digest(k1), c.legacy_digest());
        assert_eq!(c.digest(k1).len(), 64);
    }

    #[test]
    fn tracking_code_expiry() {
        let rules = RequestRules::default();
        let closed = Some(d(2026, 1, 1));
        assert!(!TrackingCode::expired(None, d(2040, 1, 1), &rules));
        assert!(!TrackingCode::expired(closed, d(2026, 1, 1), &rules));
        assert!(!TrackingCode::expired(closed, d(2027, 1, 1), &rules)); // day 365
        assert!(TrackingCode::expired(closed, d(2027, 1, 2), &rules));
    }
}

//! Fault injection (latency, random 5xx, dropped connections, scripted failures, per-connection
//! ingest throttling) and the per-route-class request counters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::config::EmulatorConfig;

/// Groups of routes the counters are kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteClass {
    /// `/{tenant}/oauth2/v2.0/token` and `/devicecode`.
    Token,
    /// The `/devicelogin` page.
    DeviceLogin,
    /// `/external/connections[/{id}]`.
    Connections,
    /// `/external/connections/{id}/schema`.
    Schema,
    /// `/external/connections/{id}/operations/...`.
    Operations,
    /// `/external/connections/{id}/items/...`.
    Items,
    /// `/admin/people/profileSources...`.
    ProfileSources,
    /// `/admin/people/profilePropertySettings...`.
    ProfileSettings,
    /// `/users...` (not the profile).
    Users,
    /// `/users/{id}/profile...` and `/me/profile...`.
    Profile,
    /// `/$batch` (the outer request; inner requests count in their own class).
    Batch,
    /// Anything else.
    Other,
}

impl RouteClass {
    /// Every class, in counter order.
    pub const ALL: [RouteClass; 12] = [
        RouteClass::Token,
        RouteClass::DeviceLogin,
        RouteClass::Connections,
        RouteClass::Schema,
        RouteClass::Operations,
        RouteClass::Items,
        RouteClass::ProfileSources,
        RouteClass::ProfileSettings,
        RouteClass::Users,
        RouteClass::Profile,
        RouteClass::Batch,
        RouteClass::Other,
    ];

    fn index(self) -> usize {
        Self::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }

    /// The class of a request path (with or without the version segment).
    pub fn of_path(path: &str) -> Self {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let rest: &[&str] = match segments.first() {
            Some(&("v1.0" | "beta")) => &segments[1..],
            Some(&"devicelogin") => return Self::DeviceLogin,
            _ if segments.get(1) == Some(&"oauth2") => return Self::Token,
            _ => &segments,
        };
        match rest {
            ["external", "connections", _, "schema", ..] => Self::Schema,
            ["external", "connections", _, "operations", ..] => Self::Operations,
            ["external", "connections", _, "items", ..] => Self::Items,
            ["external", "connections", ..] => Self::Connections,
            ["admin", "people", s, ..] if s.starts_with("profileSources") => Self::ProfileSources,
            ["admin", "people", s, ..] if s.starts_with("profilePropertySettings") => {
                Self::ProfileSettings
            }
            [_, _, "profile", ..] | ["me", "profile", ..] => Self::Profile,
            [s, ..] if s.starts_with("users") || *s == "me" => Self::Users,
            ["$batch"] => Self::Batch,
            _ => Self::Other,
        }
    }
}

/// Counters of one route class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteCounters {
    /// Requests answered or dropped.
    pub requests: u64,
    /// 429 answers.
    pub throttled: u64,
    /// 5xx answers.
    pub server_errors: u64,
    /// Connections closed without an answer (the request was not applied).
    pub dropped: u64,
    /// Requests applied whose answer was then lost (the connection closed instead).
    pub lost_answers: u64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterSnapshot {
    /// Counters by class (every class present).
    pub by_class: BTreeMap<RouteClass, RouteCounters>,
}

impl CounterSnapshot {
    /// The counters of one class.
    pub fn class(&self, class: RouteClass) -> RouteCounters {
        self.by_class.get(&class).copied().unwrap_or_default()
    }

    /// The sum over all classes.
    pub fn total(&self) -> RouteCounters {
        self.by_class
            .values()
            .fold(RouteCounters::default(), |acc, c| RouteCounters {
                requests: acc.requests + c.requests,
                throttled: acc.throttled + c.throttled,
                server_errors: acc.server_errors + c.server_errors,
                dropped: acc.dropped + c.dropped,
                lost_answers: acc.lost_answers + c.lost_answers,
            })
    }
}

#[derive(Default)]
struct CounterCells {
    requests: AtomicU64,
    throttled: AtomicU64,
    server_errors: AtomicU64,
    dropped: AtomicU64,
    lost_answers: AtomicU64,
}

/// What a scripted fault does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status and a Graph error body (429 and 503 carry `Retry-After`).
    Status {
        /// The HTTP status.
        status: u16,
        /// `Retry-After` seconds (429 defaults to 1 when `None`).
        retry_after_s: Option<u64>,
    },
    /// Close the connection without answering.
    Drop,
    /// Apply the request, then close the connection instead of answering: the client cannot
    /// tell whether its write happened (the case retries must be safe for).
    LoseAnswer,
}

/// "Make the next N requests matching METHOD + PATH fail" (tests of a fault at step X).
///
/// The pattern is matched against the request path without the query; `*` matches any run of
/// characters (slashes included). The method `*` matches every method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    method: String,
    pattern: String,
    remaining: usize,
    action: FaultAction,
}

impl FaultRule {
    /// One 503 for the next request matching `method` and `path_pattern`.
    pub fn new(method: &str, path_pattern: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            pattern: path_pattern.to_owned(),
            remaining: 1,
            action: FaultAction::Status {
                status: 503,
                retry_after_s: None,
            },
        }
    }

    /// Apply to the next `count` matching requests.
    #[must_use]
    pub fn times(mut self, count: usize) -> Self {
        self.remaining = count;
        self
    }

    /// Answer with `status`.
    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        let retry_after_s = match self.action {
            FaultAction::Status { retry_after_s, .. } => retry_after_s,
            FaultAction::Drop | FaultAction::LoseAnswer => None,
        };
        self.action = FaultAction::Status {
            status,
            retry_after_s,
        };
        self
    }

    /// Add `Retry-After: secs`.
    #[must_use]
    pub fn retry_after(mut self, secs: u64) -> Self {
        if let FaultAction::Status { retry_after_s, .. } = &mut self.action {
            *retry_after_s = Some(secs);
        }
        self
    }

    /// Close the connection instead of answering.
    #[must_use]
    pub fn drop_connection(mut self) -> Self {
        self.action = FaultAction::Drop;
        self
    }

    /// Apply the request, then close the connection instead of answering.
    #[must_use]
    pub fn lose_answer(mut self) -> Self {
        self.action = FaultAction::LoseAnswer;
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && glob_match(&self.pattern, path)
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|b| *b == b'*')
}

/// What to do with a request before handling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Proceed,
    Fail {
        status: u16,
        retry_after_s: Option<u64>,
    },
    Drop,
    /// Handle the request, then drop the connection.
    LoseAnswer,
}

struct Bucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: f64, now: Instant) -> Self {
        Self {
            rate,
            tokens: rate.max(1.0),
            last: now,
        }
    }

    /// Takes one token, or says how long until one is available.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let capacity = self.rate.max(1.0);
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }
}

struct FaultState {
    latency_ms: u64,
    jitter_ms: u64,
    spike_probability: f64,
    spike_ms: u64,
    fault_rate: f64,
    drop_rate: f64,
    lose_rate: f64,
    throttle_rate: f64,
    throttle_retry_after_s: Option<u64>,
    /// Random 503s carry `Retry-After: 1..=this` half the time; 0 = never.
    fault_retry_after_max_s: u64,
    ingest_rps: Option<f64>,
    ingest_overrides: HashMap<String, Option<f64>>,
    buckets: HashMap<String, Bucket>,
    rules: Vec<FaultRule>,
    schema_failures: HashMap<String, VecDeque<String>>,
}

/// Runtime fault controls and counters, shared by the server and the tests.
pub struct Faults {
    state: Mutex<FaultState>,
    counters: [CounterCells; RouteClass::ALL.len()],
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("counters", &self.counters())
            .finish_non_exhaustive()
    }
}

fn clamp_probability(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

fn valid_rate(rps: Option<f64>) -> Option<f64> {
    rps.filter(|r| r.is_finite() && *r > 0.0)
}

impl Faults {
    pub(crate) fn new(config: &EmulatorConfig) -> Self {
        Self {
            state: Mutex::new(FaultState {
                latency_ms: config.latency_ms,
                jitter_ms: config.latency_jitter_ms,
                spike_probability: 0.0,
                spike_ms: 0,
                fault_rate: clamp_probability(config.fault_rate),
                drop_rate: clamp_probability(config.drop_rate),
                lose_rate: 0.0,
                throttle_rate: 0.0,
                throttle_retry_after_s: Some(1),
                fault_retry_after_max_s: 3,
                ingest_rps: valid_rate(config.ingest_rps),
                ingest_overrides: HashMap::new(),
                buckets: HashMap::new(),
                rules: Vec::new(),
                schema_failures: HashMap::new(),
            }),
            counters: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        // A panic while holding this lock leaves plain numbers behind: keep going.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Fixed latency added to every request.
    pub fn set_latency_ms(&self, ms: u64) {
        self.lock().latency_ms = ms;
    }

    /// Uniform random extra latency in `0..=ms`.
    pub fn set_latency_jitter_ms(&self, ms: u64) {
        self.lock().jitter_ms = ms;
    }

    /// With `probability`, add a spike of `ms` on top of the latency.
    pub fn set_latency_spikes(&self, probability: f64, ms: u64) {
        let mut state = self.lock();
        state.spike_probability = clamp_probability(probability);
        state.spike_ms = ms;
    }

    /// Probability of a random 503 (sometimes with `Retry-After`) or 504 per request.
    pub fn set_fault_rate(&self, probability: f64) {
        self.lock().fault_rate = clamp_probability(probability);
    }

    /// Random 503s carry `Retry-After: 1..=max_s` half the time (3 by default); 0 = never.
    /// Clients honour it by pausing, so a long storm of them costs minutes.
    pub fn set_fault_retry_after_max_s(&self, max_s: u64) {
        self.lock().fault_retry_after_max_s = max_s;
    }

    /// Probability of closing the connection without a response.
    pub fn set_drop_rate(&self, probability: f64) {
        self.lock().drop_rate = clamp_probability(probability);
    }

    /// Probability of applying a request and then closing the connection without its answer.
    pub fn set_lose_rate(&self, probability: f64) {
        self.lock().lose_rate = clamp_probability(probability);
    }

    /// Probability of a 429 on any request (a throttling storm), with this `Retry-After`
    /// (`None`: no header, as Graph sometimes sends; clients then back off on their own).
    pub fn set_throttle_rate(&self, probability: f64, retry_after_s: Option<u64>) {
        let mut state = self.lock();
        state.throttle_rate = clamp_probability(probability);
        state.throttle_retry_after_s = retry_after_s;
    }

    /// Item writes per second for every connection without its own rate; `None` = unlimited.
    pub fn set_ingest_rps(&self, rps: Option<f64>) {
        let mut state = self.lock();
        state.ingest_rps = valid_rate(rps);
        state.buckets.clear();
    }

    /// Item writes per second for one connection; `None` = unlimited for it.
    pub fn set_connection_ingest_rps(&self, connection_id: &str, rps: Option<f64>) {
        let key = connection_id.to_ascii_lowercase();
        let mut state = self.lock();
        state.buckets.remove(&key);
        state.ingest_overrides.insert(key, valid_rate(rps));
    }

    /// Back to the global item-write rate for one connection.
    pub fn clear_connection_ingest_rps(&self, connection_id: &str) {
        let key = connection_id.to_ascii_lowercase();
        let mut state = self.lock();
        state.buckets.remove(&key);
        state.ingest_overrides.remove(&key);
    }

    /// The next `count` requests matching `method` and `path_pattern` get `status`.
    pub fn fail_next(&self, method: &str, path_pattern: &str, count: usize, status: u16) {
        self.add_rule(
            FaultRule::new(method, path_pattern)
                .times(count)
                .status(status),
        );
    }

    /// The next `count` requests matching `method` and `path_pattern` are dropped unanswered.
    pub fn drop_next(&self, method: &str, path_pattern: &str, count: usize) {
        self.add_rule(
            FaultRule::new(method, path_pattern)
                .times(count)
                .drop_connection(),
        );
    }

    /// Adds a scripted fault; rules apply in the order added.
    pub fn add_rule(&self, rule: FaultRule) {
        if rule.remaining > 0 {
            self.lock().rules.push(rule);
        }
    }

    /// Scripted faults that still have requests to fail.
    pub fn pending_rules(&self) -> usize {
        self.lock().rules.len()
    }

    /// Removes every scripted fault and zeroes latency, random faults and drops.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.rules.clear();
        state.schema_failures.clear();
        state.latency_ms = 0;
        state.jitter_ms = 0;
        state.spike_probability = 0.0;
        state.fault_rate = 0.0;
        state.drop_rate = 0.0;
        state.lose_rate = 0.0;
        state.throttle_rate = 0.0;
    }

    /// The next schema operation on `connection_id` ends `failed` with `message`.
    pub fn fail_next_schema(&self, connection_id: &str, message: &str) {
        self.lock()
            .schema_failures
            .entry(connection_id.to_ascii_lowercase())
            .or_default()
            .push_back(message.to_owned());
    }

    /// A copy of the counters.
    pub fn counters(&self) -> CounterSnapshot {
        let by_class = RouteClass::ALL
            .iter()
            .map(|class| {
                let cells = &self.counters[class.index()];
                (
                    *class,
                    RouteCounters {
                        requests: cells.requests.load(Ordering::Relaxed),
                        throttled: cells.throttled.load(Ordering::Relaxed),
                        server_errors: cells.server_errors.load(Ordering::Relaxed),
                        dropped: cells.dropped.load(Ordering::Relaxed),
                        lost_answers: cells.lost_answers.load(Ordering::Relaxed),
                    },
                )
            })
            .collect();
        CounterSnapshot { by_class }
    }

    /// Zeroes the counters.
    pub fn reset_counters(&self) {
        for cells in &self.counters {
            cells.requests.store(0, Ordering::Relaxed);
            cells.throttled.store(0, Ordering::Relaxed);
            cells.server_errors.store(0, Ordering::Relaxed);
            cells.dropped.store(0, Ordering::Relaxed);
            cells.lost_answers.store(0, Ordering::Relaxed);
        }
    }

    pub(crate) fn record(&self, class: RouteClass, status: u16) {
        let cells = &self.counters[class.index()];
        cells.requests.fetch_add(1, Ordering::Relaxed);
        if status == 429 {
            cells.throttled.fetch_add(1, Ordering::Relaxed);
        }
        if status >= 500 {
            cells.server_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn record_drop(&self, class: RouteClass) {
        let cells = &self.counters[class.index()];
        cells.requests.fetch_add(1, Ordering::Relaxed);
        cells.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// A request that was applied but whose answer was not sent.
    pub(crate) fn record_lost_answer(&self, class: RouteClass) {
        let cells = &self.counters[class.index()];
        cells.requests.fetch_add(1, Ordering::Relaxed);
        cells.lost_answers.fetch_add(1, Ordering::Relaxed);
    }

    /// Latency to add and whether to fail the request (`class` is the path's, which the caller
    /// has already worked out). `can_drop` is false inside `$batch`.
    pub(crate) fn before(
        &self,
        method: &str,
        path: &str,
        class: RouteClass,
        can_drop: bool,
    ) -> (Duration, Decision) {
        let mut state = self.lock();
        let mut delay_ms = state.latency_ms;
        if state.jitter_ms > 0 {
            delay_ms += rand::random_range(0..=state.jitter_ms);
        }
        if state.spike_probability > 0.0 && rand::random_bool(state.spike_probability) {
            delay_ms += state.spike_ms;
        }
        let delay = Duration::from_millis(delay_ms);

        if let Some(index) = state.rules.iter().position(|r| r.matches(method, path)) {
            let rule = &mut state.rules[index];
            rule.remaining -= 1;
            let action = rule.action;
            if rule.remaining == 0 {
                state.rules.remove(index);
            }
            let decision = match action {
                FaultAction::Drop if can_drop => Decision::Drop,
                FaultAction::LoseAnswer => Decision::LoseAnswer,
                // Inside a batch there is no connection to drop: the gateway would time out.
                FaultAction::Drop => Decision::Fail {
                    status: 504,
                    retry_after_s: None,
                },
                FaultAction::Status {
                    status,
                    retry_after_s,
                } => Decision::Fail {
                    status,
                    retry_after_s,
                },
            };
            return (delay, decision);
        }
        // Random faults model Graph's gateway, not the identity platform: sign-in stays up
        // (scripted rules can still fail it).
        if matches!(class, RouteClass::Token | RouteClass::DeviceLogin) {
            return (delay, Decision::Proceed);
        }
        if can_drop && state.drop_rate > 0.0 && rand::random_bool(state.drop_rate) {
            return (delay, Decision::Drop);
        }
        if state.lose_rate > 0.0 && rand::random_bool(state.lose_rate) {
            return (delay, Decision::LoseAnswer);
        }
        if state.throttle_rate > 0.0 && rand::random_bool(state.throttle_rate) {
            return (
                delay,
                Decision::Fail {
                    status: 429,
                    retry_after_s: state.throttle_retry_after_s,
                },
            );
        }
        if state.fault_rate > 0.0 && rand::random_bool(state.fault_rate) {
            let decision = if rand::random_bool(0.5) {
                Decision::Fail {
                    status: 503,
                    retry_after_s: (state.fault_retry_after_max_s > 0 && rand::random_bool(0.5))
                        .then(|| rand::random_range(1..=state.fault_retry_after_max_s)),
                }
            } else {
                Decision::Fail {
                    status: 504,
                    retry_after_s: None,
                }
            };
            return (delay, decision);
        }
        (delay, Decision::Proceed)
    }

    /// One item write on a connection: `Err(retry_after_s)` when over its rate.
    pub(crate) fn take_ingest(&self, connection_key: &str) -> Result<(), u64> {
        let mut state = self.lock();
        let rate = match state.ingest_overrides.get(connection_key) {
            Some(rate) => *rate,
            None => state.ingest_rps,
        };
        let Some(rate) = rate else {
            return Ok(());
        };
        let now = Instant::now();
        let bucket = state
            .buckets
            .entry(connection_key.to_owned())
            .or_insert_with(|| Bucket::new(rate, now));
        bucket.take(now).map_err(|wait| {
            // Retry-After is whole seconds, at least 1 (graph-api §10.1); clamped, so the
            // cast cannot truncate or lose a sign.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let secs = wait.as_secs_f64().ceil().clamp(1.0, 3600.0) as u64;
            secs
        })
    }

    pub(crate) fn take_schema_failure(&self, connection_key: &str) -> Option<String> {
        let mut state = self.lock();
        let queue = state.schema_failures.get_mut(connection_key)?;
        let message = queue.pop_front();
        if queue.is_empty() {
            state.schema_failures.remove(connection_key);
        }
        message
    }

    pub(crate) fn forget_connection(&self, connection_key: &str) {
        let mut state = self.lock();
        state.buckets.remove(connection_key);
        state.schema_failures.remove(connection_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_runs_and_literals() {
        assert!(glob_match("/v1.0/users/*", "/v1.0/users/abc"));
        assert!(glob_match(
            "*/items/*",
            "/v1.0/external/connections/x/items/y"
        ));
        assert!(glob_match("/v1.0/users", "/v1.0/users"));
        assert!(!glob_match("/v1.0/users", "/v1.0/users/x"));
        assert!(!glob_match("/beta/*", "/v1.0/users"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn classes_of_paths() {
        assert_eq!(
            RouteClass::of_path("/v1.0/external/connections/a/items/b"),
            RouteClass::Items
        );
        assert_eq!(
            RouteClass::of_path("/beta/external/connections/a/schema"),
            RouteClass::Schema
        );
        assert_eq!(
            RouteClass::of_path("/v1.0/external/connections"),
            RouteClass::Connections
        );
        assert_eq!(
            RouteClass::of_path("/beta/users/a/profile"),
            RouteClass::Profile
        );
        assert_eq!(RouteClass::of_path("/v1.0/users('$x')"), RouteClass::Users);
        assert_eq!(
            RouteClass::of_path("/v1.0/admin/people/profileSources(sourceId='x')"),
            RouteClass::ProfileSources
        );
        assert_eq!(
            RouteClass::of_path("/t/oauth2/v2.0/token"),
            RouteClass::Token
        );
        assert_eq!(RouteClass::of_path("/v1.0/$batch"), RouteClass::Batch);
    }

    #[test]
    fn bucket_throttles_after_its_burst() {
        let config = EmulatorConfig {
            ingest_rps: Some(2.0),
            ..EmulatorConfig::default()
        };
        let faults = Faults::new(&config);
        assert!(faults.take_ingest("c").is_ok());
        assert!(faults.take_ingest("c").is_ok());
        let retry = faults.take_ingest("c").unwrap_err();
        assert!(retry >= 1);
        // Another connection has its own bucket.
        assert!(faults.take_ingest("d").is_ok());
        faults.set_connection_ingest_rps("c", None);
        assert!(faults.take_ingest("c").is_ok());
    }

    #[test]
    fn rules_apply_count_times_then_vanish() {
        let faults = Faults::new(&EmulatorConfig::default());
        faults.fail_next("GET", "/v1.0/users*", 2, 500);
        let (_, first) = faults.before(
            "GET",
            "/v1.0/users",
            RouteClass::of_path("/v1.0/users"),
            true,
        );
        assert_eq!(
            first,
            Decision::Fail {
                status: 500,
                retry_after_s: None
            }
        );
        assert_eq!(
            faults
                .before(
                    "POST",
                    "/v1.0/users",
                    RouteClass::of_path("/v1.0/users"),
                    true
                )
                .1,
            Decision::Proceed
        );
        assert_ne!(
            faults
                .before(
                    "get",
                    "/v1.0/users/x",
                    RouteClass::of_path("/v1.0/users/x"),
                    true
                )
                .1,
            Decision::Proceed
        );
        assert_eq!(
            faults
                .before(
                    "GET",
                    "/v1.0/users",
                    RouteClass::of_path("/v1.0/users"),
                    true
                )
                .1,
            Decision::Proceed
        );
        assert_eq!(faults.pending_rules(), 0);
        faults.drop_next("*", "*", 1);
        assert_eq!(
            faults
                .before("GET", "/x", RouteClass::of_path("/x"), false)
                .1,
            Decision::Fail {
                status: 504,
                retry_after_s: None
            }
        );
    }
}

/// How the webhook dispatcher works (`hongbao serve --webhook-…` flags; tests shorten the
/// times). Defaults: deliveries retried with exponential backoff (10 s doubling, at most an
/// hour apart, ±25 % jitter) for 24 hours; an endpoint disabled after 10 failed attempts in
/// a row spanning at least 24 hours; at most a quarter of the workers per tenant (2 of 8) and
/// half of that per endpoint (1), so a tenant whose receivers (or name servers) never answer
/// holds only its share of the workers.
public struct WebhookSettings: Sendable {
    /// How often each worker looks for due deliveries without being woken by NOTIFY.
    public var pollInterval: Duration
    /// Deliveries in flight at once (one worker each); a hanging receiver holds one.
    public var concurrency: Int
    /// One attempt, resolving the host and connecting included; a receiver slower than this
    /// has failed the attempt.
    public var timeout: Duration
    /// Attempts in flight at once to one endpoint, across every instance; nil: half the
    /// tenant's (at least 1), so one hanging endpoint leaves its tenant's others a place.
    /// See `endpointLimit`.
    public var endpointConcurrency: Int?
    /// Attempts in flight at once for one tenant, across every instance; nil: a quarter of
    /// `concurrency` (at least 1). See `tenantLimit`.
    public var tenantConcurrency: Int?
    /// How long resolving a receiver's host may take, at most (and never more than `timeout`):
    /// a name server that never answers fails the attempt instead of holding a worker.
    public var resolutionTimeout: Duration
    /// Loopback, private and other non-public targets allowed (the operator's choice).
    public var allowPrivateTargets: Bool
    /// The wait after the first failed attempt; each further failure doubles it, up to `retryCap`.
    public var retryBase: Duration
    public var retryCap: Duration
    /// How long after the event (or its redelivery) attempts go on; then the delivery is `failed`.
    public var retryWindow: Duration
    /// An endpoint is disabled after this many failed attempts in a row …
    public var disableAfterFailures: Int
    /// … when the first of them is at least this old.
    public var disableAfterFailingFor: Duration

    public init(pollInterval: Duration = .seconds(5), concurrency: Int = 8, timeout: Duration = .seconds(10),
                endpointConcurrency: Int? = nil, tenantConcurrency: Int? = nil, resolutionTimeout: Duration = .seconds(5), allowPrivateTargets: Bool = false,
                retryBase: Duration = .seconds(10), retryCap: Duration = .seconds(3600), retryWindow: Duration = .seconds(86_400),
                disableAfterFailures: Int = 10, disableAfterFailingFor: Duration = .seconds(86_400)) {
        self.pollInterval = pollInterval
        self.concurrency = concurrency
        self.timeout = timeout
        self.endpointConcurrency = endpointConcurrency
        self.tenantConcurrency = tenantConcurrency
        self.resolutionTimeout = resolutionTimeout
        self.allowPrivateTargets = allowPrivateTargets
        self.retryBase = retryBase
        self.retryCap = retryCap
        self.retryWindow = retryWindow
        self.disableAfterFailures = disableAfterFailures
        self.disableAfterFailingFor = disableAfterFailingFor
    }

    /// Attempts in flight at once for one tenant: `tenantConcurrency`, else a quarter of the workers.
    public var tenantLimit: Int { max(1, tenantConcurrency ?? concurrency / 4) }
    /// Attempts in flight at once to one endpoint: `endpointConcurrency`, else half the tenant's.
    public var endpointLimit: Int { max(1, endpointConcurrency ?? tenantLimit / 2) }

    /// The deadline for resolving a receiver's host within one attempt.
    var resolutionDeadline: Duration { min(resolutionTimeout, timeout) }

    /// How long a claimed attempt is ours: past it (the instance died mid-attempt) another
    /// instance may try again.
    var lease: Duration { timeout + .seconds(30) }

    /// The wait after failed attempt number `attempt` (1-based), before jitter:
    /// retryBase · 2^(attempt−1), at most retryCap.
    func backoff(afterAttempt attempt: Int) -> Duration {
        let doublings = min(max(attempt - 1, 0), 30)
        let seconds = min(retryBase.seconds * Double(1 << doublings), retryCap.seconds)
        return .milliseconds(Int64(seconds * 1000))
    }

    /// `backoff` spread by ±25 %, so endpoints that failed together do not retry together.
    func delay(afterAttempt attempt: Int, jitter: Double = Double.random(in: 0.75...1.25)) -> Duration {
        .milliseconds(Int64(backoff(afterAttempt: attempt).seconds * jitter * 1000))
    }
}

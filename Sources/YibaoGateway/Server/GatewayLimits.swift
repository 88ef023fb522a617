import Foundation

/// What the gateway bounds so that hostile or broken traffic cannot wear it down
/// (docs/SECURITY.md §Limits). Every default is documented there with the measurement behind it.
public struct GatewayLimits: Sendable, Hashable {
    /// Largest FSI/HSE request body, in bytes.
    public var envelopeBodyBytes = 4 << 20
    /// Largest multipart FSI body (9101 `jsonStr` + the file part, the file at most 8 MiB), in bytes.
    public var uploadBodyBytes = 9 << 20
    /// Largest admin request body (fixtures), in bytes.
    public var adminBodyBytes = 4 << 20
    /// Largest e-voucher channel or test-clock request body, in bytes.
    public var smallBodyBytes = 64 << 10
    /// Most JSON values (objects, arrays, strings, numbers, …) one request body may hold.
    public var jsonValues = 100_000
    /// Deepest JSON nesting one request body may hold.
    public var jsonDepth = 64
    /// A connection that sends nothing for this long is closed (keep-alive or mid-request).
    public var idleTimeout: Duration = .seconds(30)
    /// A request's head must arrive within this long of the connection opening or the previous answer.
    public var headTimeout: Duration = .seconds(20)
    /// A request's body must arrive within this long of its head.
    public var bodyTimeout: Duration = .seconds(30)
    /// Most connections open at once; further ones wait in the listen backlog.
    public var maxConnections = 1024
    /// Refusals of unauthenticated requests one source address may cause in a burst …
    public var refusalBurst = 60
    /// … and per second after that; past it the source gets `429 RATE_LIMITED` until the bucket refills.
    public var refusalsPerSecond = 10.0
    /// Total time one settlement-callback attempt may take: connect, send and read the whole answer.
    public var callbackAttemptDeadline: Duration = .seconds(5)
    /// Institutions whose callbacks are delivered at the same time (each institution's queue stays in order).
    public var callbackConcurrency = 8
    /// Passive conformance log: records kept per institution (the oldest are pruned) …
    public var conformanceRecordsPerInstitution = 5_000
    /// … and for at most this many days.
    public var conformanceRetentionDays = 30
    /// Longest stored text member (trace fields, passive-log members); longer ones are cut with a note.
    public var storedTextCharacters = 2_000
    /// Most sandboxes one gateway holds (each is a database file or schema of its own).
    public var maxSandboxes = 64

    public init() {}
}

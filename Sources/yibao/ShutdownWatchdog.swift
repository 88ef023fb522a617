import Dispatch
import Foundation
import Logging

/// Bounds a graceful shutdown: once SIGTERM or SIGINT arrives, the server has `seconds` to finish
/// (in-flight requests answered, callback workers stopped, stores closed); past that the process
/// logs what it was waiting for and exits, as an orchestrator's grace period would end it — an
/// operator's stop is never left hanging. Uncommitted work is rolled back by the stores.
final class ShutdownWatchdog: @unchecked Sendable {
    private let seconds: Int
    private let logger: Logger
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "yibao.shutdown-watchdog")

    init(seconds: Int, logger: Logger) {
        self.seconds = seconds
        self.logger = logger
    }

    /// Starts watching; call before the service runs (it also installs its own handlers for the same signals).
    func arm() {
        for number in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [seconds, logger, queue] in
                queue.asyncAfter(deadline: .now() + .seconds(seconds)) {
                    logger.warning("graceful shutdown did not finish within \(seconds) s (in-flight requests, callback workers or store connections still open); exiting")
                    exit(1)
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}

import Dispatch
import Foundation

/// SIGTERM/SIGINT: the supervisor's stop request.
///
/// Handled by Dispatch signal sources on their own queue, not by the engine's tasks, so that a
/// stop still works when the `hang` fault has frozen everything else. Kept out of `main.swift`
/// on purpose: closures written there are main-actor isolated, and running one on this queue
/// would trip Swift 6's runtime isolation check.
enum Shutdown {
    static func installSignalHandlers() -> [any DispatchSourceSignal] {
        let queue = DispatchQueue(label: "warden-demo-engine.signals")
        return [SIGTERM, SIGINT].map { signalNumber in
            signal(signalNumber, SIG_IGN)  // let the source, not the default action, see it
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                Console.info("shutting down")
                exit(0)
            }
            source.resume()
            return source
        }
    }
}

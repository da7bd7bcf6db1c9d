import Foundation

/// Keeping the broker connections: two persistent ones, plus the flood.
extension Engine {
    /// Ticks to wait after a refusal or a failure before trying again.
    static let brokerBackoffTicks = 10

    func maintainBrokerConnections() {
        let lost = broker.pruneClosed()
        if lost > 0 { Console.error("lost \(lost) broker connection(s) to \(broker.endpoint); reconnecting") }
        guard tickCount >= brokerRetryTick else { return }
        let missing = BrokerLink.baseConnections - broker.baseCount - brokerAttemptsInFlight
        if missing > 0 {
            for _ in 0..<missing { openBrokerConnection(as: .base) }
        } else if faults.isActive(.connectionFlood), brokerAttemptsInFlight == 0 {
            // connection_flood: one more connection per tick, never closed.
            openBrokerConnection(as: .extra)
        }
    }

    private func openBrokerConnection(as role: BrokerLink.Role) {
        brokerAttemptsInFlight += 1
        Task {
            let outcome = await broker.open()
            self.brokerAttemptFinished(outcome, as: role)
        }
    }

    private func brokerAttemptFinished(_ outcome: BrokerLink.Outcome, as role: BrokerLink.Role) {
        brokerAttemptsInFlight -= 1
        switch outcome {
        case .connected(let fd):
            if role == .extra, !faults.isActive(.connectionFlood) {
                close(fd)
                return
            }
            broker.adopt(fd, as: role)
            if role == .base {
                Console.info("connected to broker \(broker.endpoint) (\(broker.baseCount)/\(BrokerLink.baseConnections))")
            }
        case .refused(let message):
            Console.error(message ?? BrokerLimit.refusal(online: BrokerLimit.maxConnections))
            brokerRetryTick = tickCount + Self.brokerBackoffTicks
        case .failed(let message):
            Console.error("broker: \(message)")
            brokerRetryTick = tickCount + Self.brokerBackoffTicks
        }
    }
}

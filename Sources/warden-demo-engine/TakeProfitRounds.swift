import Foundation

/// The two loops of the incident (`health-check` and `ai-agent`) executing partial
/// take-profits on open positions.
extension Engine {
    static let contentionHold: Duration = .milliseconds(150)
    static let contentionStagger: Duration = .milliseconds(20)

    func takeProfitRound() async {
        guard !positions.isEmpty else { return }
        do {
            if faults.isActive(.lockContention) {
                try await contendedRound()
            } else {
                try await healthyRound()
            }
        } catch {
            Console.error("partial take-profit error: \(error)")
        }
    }

    /// Healthy: one caller per round, alternating, on a stage that is neither locked nor
    /// recently executed, so there is never contention.
    private func healthyRound() async throws {
        let candidates = Set(positions.values.flatMap { p in
            PartialTakeProfitDesk.stages.map { StageTarget(symbol: p.symbol, side: p.side, stage: $0) }
        })
        let idle = try await desk.idleTargets(among: Array(candidates).sorted { $0.lockKey < $1.lockKey })
        guard let target = idle.randomElement(using: &rng) else { return }
        let caller = nextCaller
        nextCaller = caller.other
        report(try await desk.execute(target, as: caller), target, caller)
    }

    /// `lock_contention`: both callers go for the same stage at the same moment, round after
    /// round. The loser gets `lock_busy`; once the stage has succeeded, the winner gets
    /// `recently_executed` for the next 30 s.
    private func contendedRound() async throws {
        if let current = contentionTarget,
           !positions.values.contains(where: { $0.symbol == current.symbol && $0.side == current.side }) {
            contentionTarget = nil
        }
        if contentionTarget == nil, let position = positions.values.min(by: { $0.id < $1.id }) {
            contentionTarget = StageTarget(symbol: position.symbol, side: position.side, stage: 1)
        }
        guard let target = contentionTarget,
              let first = Caller.allCases.randomElement(using: &rng)
        else { return }
        let desk = self.desk
        async let firstOutcome = desk.execute(target, as: first, hold: Self.contentionHold)
        async let secondOutcome: StageOutcome = {
            try await Task.sleep(for: Self.contentionStagger)
            return try await desk.execute(target, as: first.other, hold: Self.contentionHold)
        }()
        let outcomes = try await (firstOutcome, secondOutcome)
        report(outcomes.0, target, first)
        report(outcomes.1, target, first.other)
    }

    private func report(_ outcome: StageOutcome, _ target: StageTarget, _ caller: Caller) {
        switch outcome {
        case .success:
            Console.info("partial take-profit \(target) executed by \(caller.rawValue)")
        case .lockBusy(let holder):
            Console.info("partial take-profit \(target): \(caller.rawValue) got lock_busy (lock held by \(holder))")
        case .recentlyExecuted:
            Console.info("partial take-profit \(target): \(caller.rawValue) got recently_executed (already done within 30s)")
        }
    }
}

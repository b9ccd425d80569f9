package dev.gatehouse.plugin.gate;

/**
 * The outcome of judging one token.
 *
 * @param outcome what it means for the request
 * @param reason a short code for the log and the counters; never token contents
 * @param identity the verified identity, for {@link Outcome#VALID} only
 */
record Verdict(Outcome outcome, String reason, Identity identity)
{
    enum Outcome
    {
        /** Verified: signature, issuer, audience, times and types. */
        VALID,
        /** Missing, malformed, forged, expired or otherwise not acceptable: 401. */
        INVALID,
        /** Authentic, but for another application (no accepted audience): 403. */
        WRONG_AUDIENCE,
        /** Keys could not be obtained, so nothing can be judged: 503. */
        UNAVAILABLE
    }

    static Verdict valid(Identity identity)
    {
        return new Verdict(Outcome.VALID, "valid", identity);
    }

    static Verdict invalid(String reason)
    {
        return new Verdict(Outcome.INVALID, reason, null);
    }
}

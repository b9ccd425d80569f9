package dev.gatehouse.core.config;

import java.util.Collection;
import java.util.Optional;

/**
 * "Did you mean": the closest known key by edit distance, if it is close enough to be a typo.
 */
final class Suggestions
{
    private Suggestions()
    {
    }

    static Optional<String> closest(String unknown, Collection<String> known)
    {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known)
        {
            int distance = distance(unknown, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        // A typo changes a few characters; more than that and it is another key altogether.
        int tolerance = Math.max(1, Math.min(3, unknown.length() / 4));
        return best != null && bestDistance <= tolerance ? Optional.of(best) : Optional.empty();
    }

    /**
     * Optimal string alignment distance: insertions, deletions, substitutions and transpositions.
     */
    static int distance(String a, String b)
    {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++)
            d[i][0] = i;
        for (int j = 0; j <= b.length(); j++)
            d[0][j] = j;
        for (int i = 1; i <= a.length(); i++)
        {
            for (int j = 1; j <= b.length(); j++)
            {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
        return d[a.length()][b.length()];
    }
}

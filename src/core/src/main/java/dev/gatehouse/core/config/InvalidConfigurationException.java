package dev.gatehouse.core.config;

import java.util.List;

/**
 * Start-up refused because of configuration problems; the message is the numbered list.
 */
public final class InvalidConfigurationException extends RuntimeException
{
    private final List<String> problems;

    public InvalidConfigurationException(List<String> problems)
    {
        super(describe(problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems()
    {
        return problems;
    }

    private static String describe(List<String> problems)
    {
        StringBuilder text = new StringBuilder("Gatehouse cannot start: ")
            .append(problems.size())
            .append(problems.size() == 1 ? " configuration problem" : " configuration problems");
        for (int i = 0; i < problems.size(); i++)
            text.append(System.lineSeparator()).append("  ").append(i + 1).append(". ").append(problems.get(i));
        return text.toString();
    }

    /**
     * No stack trace: the message is the whole story, and start.jar prints it as it is.
     */
    @Override
    public synchronized Throwable fillInStackTrace()
    {
        return this;
    }
}

package dev.gatehouse.core.apps;

import java.nio.file.Path;
import java.util.List;

/**
 * An app file that cannot be deployed; the message names the file and lists every problem.
 */
public final class InvalidAppFileException extends RuntimeException
{
    private final List<String> problems;

    public InvalidAppFileException(Path file, List<String> problems)
    {
        super(describe(file, problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems()
    {
        return problems;
    }

    private static String describe(Path file, List<String> problems)
    {
        StringBuilder text = new StringBuilder("app file ").append(file).append(": ")
            .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
        // Indented bullets: the message also appears as one item of start-up's numbered list.
        for (String problem : problems)
            text.append(System.lineSeparator()).append("     - ").append(problem);
        return text.toString();
    }

    /**
     * No stack trace: the message is the whole story.
     */
    @Override
    public synchronized Throwable fillInStackTrace()
    {
        return this;
    }
}

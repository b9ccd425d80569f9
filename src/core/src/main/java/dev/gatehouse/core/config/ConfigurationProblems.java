package dev.gatehouse.core.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Every configuration problem found while binding and validating, of the host and of all plugins,
 * so that start-up fails once with the whole list rather than once per mistake.
 */
public final class ConfigurationProblems
{
    private final List<String> problems = new ArrayList<>();

    public void add(String key, String message)
    {
        problems.add(key + ": " + message);
    }

    public void add(String message)
    {
        problems.add(message);
    }

    public List<String> list()
    {
        return List.copyOf(problems);
    }

    public boolean isEmpty()
    {
        return problems.isEmpty();
    }

    /**
     * @throws InvalidConfigurationException when there is any problem
     */
    public void throwIfAny()
    {
        if (!problems.isEmpty())
            throw new InvalidConfigurationException(problems);
    }
}

package dev.gatehouse.core.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import dev.gatehouse.spi.Config;

/**
 * Binds {@code gatehouse.*} properties onto configuration objects, Airlift style: every
 * {@link Config}-annotated setter names its key, the setter's parameter type says how to parse the
 * text, the field initialisers are the defaults. Problems are collected, never thrown one by one.
 */
public final class ConfigBinder
{
    public static final String NAMESPACE = "gatehouse.";
    private static final String MASK = "********";

    private final Map<String, String> properties;
    private final ValueParsers parsers;
    private final ConfigurationProblems problems;
    private final Map<String, BoundKey> boundKeys = new TreeMap<>();

    /**
     * @param properties all properties; only those in the {@code gatehouse.} namespace are looked at
     * @param base what relative paths are resolved against ({@code jetty.base})
     * @param problems where problems are collected
     */
    public ConfigBinder(Map<String, String> properties, Path base, ConfigurationProblems problems)
    {
        this.properties = Map.copyOf(properties);
        this.parsers = new ValueParsers(base);
        this.problems = problems;
    }

    /**
     * @param prefix the full prefix of the keys, ending with a dot, e.g. {@code gatehouse.forwarded.}
     * @param type the configuration class
     * @return the bound configuration; on problems, as far as it could be bound
     */
    public <C> C bind(String prefix, Class<C> type)
    {
        C config = instantiate(type);
        if (config == null)
            return null;
        List<Method> setters = new ArrayList<>();
        for (Method method : type.getMethods())
        {
            if (method.isAnnotationPresent(Config.class))
                setters.add(method);
        }
        setters.sort(Comparator.comparing(method -> method.getAnnotation(Config.class).value()));
        for (Method setter : setters)
            bindSetter(prefix, config, setter);
        return config;
    }

    private <C> C instantiate(Class<C> type)
    {
        try
        {
            return type.getConstructor().newInstance();
        }
        catch (NoSuchMethodException e)
        {
            problems.add(type.getName() + " needs a public no-argument constructor to be a configuration class");
        }
        catch (InvocationTargetException e)
        {
            problems.add(type.getName() + " could not be created: " + e.getCause());
        }
        catch (ReflectiveOperationException e)
        {
            problems.add(type.getName() + " could not be created: " + e);
        }
        return null;
    }

    private void bindSetter(String prefix, Object config, Method setter)
    {
        Config annotation = setter.getAnnotation(Config.class);
        String key = prefix + annotation.value();
        if (setter.getParameterCount() != 1 || Modifier.isStatic(setter.getModifiers()) || !ValueParsers.isSupported(setter.getGenericParameterTypes()[0]))
        {
            problems.add(key, "the configuration class " + setter.getDeclaringClass().getName() + " declares " + setter.getName() +
                " with an unsupported signature; a @Config setter takes exactly one parameter of a supported type");
            return;
        }
        Type type = setter.getGenericParameterTypes()[0];
        Method getter = findGetter(config.getClass(), setter);
        boundKeys.put(key, new BoundKey(key, annotation, config, getter));

        String text = properties.get(key);
        if (text == null)
        {
            if (annotation.required())
                problems.add(key, "required but not set" + (annotation.description().isEmpty() ? "" : " (" + annotation.description() + ")"));
            return;
        }
        String shown = annotation.secret() ? MASK : text.trim();
        Object value;
        try
        {
            value = parsers.parse(text, type);
        }
        catch (IllegalArgumentException e)
        {
            problems.add(key, "'" + shown + "' is not valid: " + e.getMessage());
            return;
        }
        try
        {
            setter.invoke(config, value);
        }
        catch (InvocationTargetException e)
        {
            // A setter may refuse a value (a range check); its message is for the user.
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException)
                problems.add(key, "'" + shown + "' is not valid: " + cause.getMessage());
            else
                problems.add(key, "could not be set: " + cause);
        }
        catch (IllegalAccessException e)
        {
            problems.add(key, "could not be set: " + e);
        }
    }

    private static Method findGetter(Class<?> type, Method setter)
    {
        String name = setter.getName();
        String property = name.startsWith("set") ? name.substring(3) : name;
        for (String candidate : List.of("get" + property, "is" + property))
        {
            try
            {
                Method getter = type.getMethod(candidate);
                if (getter.getReturnType() != void.class)
                    return getter;
            }
            catch (NoSuchMethodException ignored)
            {
                // try the next spelling
            }
        }
        return null;
    }

    /**
     * Reports every property in the {@code gatehouse.} namespace that no bound configuration
     * claimed, with the closest known key as a suggestion. Call it after binding everything.
     *
     * @param pluginIds the ids of the loaded plugins, to tell a typo from a plugin that is not enabled
     * @param reservedPrefixes prefixes of keys that are read elsewhere and are not unknown
     */
    public void reportUnknownKeys(Set<String> pluginIds, Set<String> reservedPrefixes)
    {
        reportUnknownKeys(pluginIds, reservedPrefixes, properties.keySet());
    }

    /**
     * Like {@link #reportUnknownKeys(Set, Set)}, for some of the properties only (those of one app
     * file, whose other keys were checked at start).
     */
    public void reportUnknownKeys(Set<String> pluginIds, Set<String> reservedPrefixes, Set<String> keys)
    {
        Set<String> knownFirstSegments = new java.util.HashSet<>(pluginIds);
        for (String bound : boundKeys.keySet())
            knownFirstSegments.add(firstSegment(bound.substring(NAMESPACE.length())));
        for (String key : new java.util.TreeSet<>(keys))
        {
            if (!key.startsWith(NAMESPACE) || boundKeys.containsKey(key) || reservedPrefixes.stream().anyMatch(key::startsWith))
                continue;
            String rest = key.substring(NAMESPACE.length());
            String first = firstSegment(rest);
            Optional<String> suggestion = Suggestions.closest(rest, boundKeys.keySet().stream().map(k -> k.substring(NAMESPACE.length())).toList());
            if (suggestion.isPresent())
                problems.add(key, "unknown property; did you mean " + NAMESPACE + suggestion.get() + "?");
            else if (rest.indexOf('.') > 0 && !knownFirstSegments.contains(first))
                problems.add(key, "unknown property: no enabled plugin has the id '" + first + "' (is its module enabled? --add-modules=gatehouse-" + first + ")");
            else
                problems.add(key, "unknown property");
        }
    }

    private static String firstSegment(String rest)
    {
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    /**
     * @return one {@code key = value} line per bound key, defaults included, secrets masked
     */
    public List<String> effectiveConfiguration()
    {
        List<String> lines = new ArrayList<>();
        for (BoundKey bound : boundKeys.values())
        {
            String value;
            if (bound.annotation().secret())
                value = properties.containsKey(bound.key()) ? MASK : "(not set)";
            else if (bound.getter() != null)
                value = ValueParsers.format(readGetter(bound));
            else
                value = properties.getOrDefault(bound.key(), "(default)");
            lines.add(bound.key() + " = " + value);
        }
        return lines;
    }

    private static Object readGetter(BoundKey bound)
    {
        try
        {
            return bound.getter().invoke(bound.config());
        }
        catch (ReflectiveOperationException e)
        {
            return "(unreadable)";
        }
    }

    /**
     * @return the full keys of everything bound so far
     */
    public Set<String> boundKeys()
    {
        return boundKeys.keySet();
    }

    private record BoundKey(String key, Config annotation, Object config, Method getter)
    {
    }
}

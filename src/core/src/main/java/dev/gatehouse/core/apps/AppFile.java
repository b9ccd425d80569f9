package dev.gatehouse.core.apps;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

import dev.gatehouse.core.config.ConfigBinder;
import dev.gatehouse.core.config.ConfigurationProblems;

/**
 * An app file, {@code webapps/<name>.properties}: the same {@code gatehouse.*} keys as
 * {@code start.d}, read as UTF-8, overlaying them for this app. The app's name is the file's base
 * name; it is the route name in logs and plugin settings (e.g. {@code gatehouse.plex-direct.routes}).
 */
public record AppFile(Path path, String name, Map<String, String> properties)
{
    public static final String EXTENSION = ".properties";
    /**
     * The route name of the app configured in start.d.
     */
    public static final String DEFAULT_APP = "default";
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    /**
     * @return the name of the app of an app file: its base name, lower-cased
     */
    public static String appName(Path path)
    {
        String fileName = path.getFileName().toString();
        return fileName.substring(0, fileName.length() - EXTENSION.length()).toLowerCase(Locale.ROOT);
    }

    /**
     * Reads the file; every problem found is added, with the key it concerns.
     */
    public static AppFile read(Path path, ConfigurationProblems problems)
    {
        String name = appName(path);
        if (!NAME.matcher(name).matches())
            problems.add("the file name gives the app the name '" + name + "'; name app files with lower-case letters, digits and '-', e.g. home-assistant.properties");
        else if (DEFAULT_APP.equals(name))
            problems.add("'default' is the name of the app configured in start.d; give this file another name");

        Map<String, String> properties = new LinkedHashMap<>();
        Properties parser = new Properties()
        {
            @Override
            public synchronized Object put(Object key, Object value)
            {
                if (properties.containsKey((String)key))
                    problems.add((String)key, "set twice; only one value may be given");
                properties.put((String)key, ((String)value).trim());
                return super.put(key, value);
            }
        };
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8))
        {
            parser.load(reader);
        }
        catch (MalformedInputException e)
        {
            problems.add("the file is not UTF-8 text");
        }
        catch (IOException | IllegalArgumentException e)
        {
            problems.add("cannot be read: " + e.getMessage());
        }
        for (String key : properties.keySet())
        {
            if (!key.startsWith(ConfigBinder.NAMESPACE))
                problems.add(key, "not a Gatehouse key; app files hold gatehouse.* keys, e.g. gatehouse.hosts and gatehouse.upstream");
        }
        return new AppFile(path, name, Collections.unmodifiableMap(properties));
    }
}

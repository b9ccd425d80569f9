package dev.gatehouse.spi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a one-argument setter of a plugin's configuration class as bound to the property
 * {@code gatehouse.<plugin id>.<value>}.
 *
 * <p>The setter's parameter type decides how the text is parsed, and a bad value is reported with
 * the key, the value and what was expected:</p>
 * <ul>
 *   <li>{@code String}; {@code int}/{@code long} (and boxed); {@code boolean} (exactly {@code true}
 *       or {@code false});</li>
 *   <li>{@link java.time.Duration}: {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, {@code 7d};</li>
 *   <li>{@link DataSize}: {@code 512B}, {@code 64KiB}, {@code 16MiB}, {@code 1GiB};</li>
 *   <li>{@link java.net.URI} (absolute); {@link java.nio.file.Path} (resolved against
 *       {@code jetty.base}); {@link Cidr} ({@code 10.0.0.0/8}, {@code ::1});</li>
 *   <li>any {@code enum} (case-insensitive, {@code -} for {@code _}; the error lists the values);</li>
 *   <li>{@link java.util.List} of any of these, written as comma-separated values.</li>
 * </ul>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Config
{
    /**
     * @return the key below the plugin's prefix, in kebab case, e.g. {@code "trusted-proxies"}
     */
    String value();

    /**
     * @return a one-line explanation, used in error messages and the logged effective configuration
     */
    String description() default "";

    /**
     * @return whether the value is a secret: it is then masked in every log line and message
     */
    boolean secret() default false;

    /**
     * @return whether start-up fails when the property is not set
     */
    boolean required() default false;
}

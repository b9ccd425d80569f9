package dev.gatehouse.core.apps;

import java.io.File;
import java.io.FilenameFilter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import dev.gatehouse.core.config.InvalidConfigurationException;
import org.eclipse.jetty.util.Scanner;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the apps directory with Jetty's {@link Scanner} (the polling, settle-before-report
 * watcher under Jetty's own hot deployment) and deploys, redeploys and removes
 * {@code <name>.properties} app files through the {@link AppDeployer}.
 *
 * <p>Each file is handled on its own: a broken file is reported with its name and problems,
 * leaves the running version of its app untouched and never holds back another file's change; it
 * is read again when it changes. At start, every broken file is listed and the server does not
 * start, like any other configuration problem.</p>
 */
public final class AppScanner extends ContainerLifeCycle implements Scanner.BulkListener
{
    private static final Logger LOG = LoggerFactory.getLogger(AppScanner.class);

    private final AppDeployer deployer;
    private final Function<Path, AppContext> appFiles;
    private final Path directory;
    private final int scanIntervalSeconds;
    private final List<String> failuresAtStart = new ArrayList<>();
    private volatile boolean started;

    /**
     * @param appFiles builds the app of a file, or throws {@link InvalidAppFileException}
     * @param scanIntervalSeconds 0 reads the directory at start only
     */
    public AppScanner(AppDeployer deployer, Function<Path, AppContext> appFiles, Path directory, int scanIntervalSeconds)
    {
        this.deployer = deployer;
        this.appFiles = appFiles;
        this.directory = directory;
        this.scanIntervalSeconds = scanIntervalSeconds;
    }

    @Override
    protected void doStart() throws Exception
    {
        started = false;
        failuresAtStart.clear();
        Scanner scanner = new Scanner();
        scanner.setScanDirs(List.of(directory));
        scanner.setScanDepth(1);
        scanner.setFilenameFilter(new AppFileFilter());
        scanner.setScanInterval(scanIntervalSeconds);
        scanner.setReportExistingFilesOnStartup(true);
        scanner.addListener(this);
        addBean(scanner, true);
        LOG.info("Apps from {}: checked every {}", directory, scanIntervalSeconds == 0 ? "start only (gatehouse.apps.scan-interval=0s)" : scanIntervalSeconds + "s");
        // The first scan runs inside this call and deploys every app file present.
        super.doStart();
        started = true;
        if (!failuresAtStart.isEmpty())
            throw new InvalidConfigurationException(failuresAtStart);
    }

    @Override
    protected void doStop() throws Exception
    {
        super.doStop();
        for (Scanner scanner : getBeans(Scanner.class))
            removeBean(scanner);
    }

    @Override
    public void pathsChanged(Map<Path, Scanner.Notification> changes)
    {
        for (Map.Entry<Path, Scanner.Notification> change : new TreeMap<>(changes).entrySet())
        {
            Path file = change.getKey();
            String appName = AppFile.appName(file);
            try
            {
                if (change.getValue() == Scanner.Notification.REMOVED)
                    deployer.undeploy(appName);
                else
                    deployer.deploy(appFiles.apply(file));
            }
            catch (InvalidAppFileException | IllegalStateException failure)
            {
                report(appName, failure.getMessage());
            }
            catch (RuntimeException failure)
            {
                report(appName, "app file " + file + ": " + failure);
            }
        }
    }

    private void report(String appName, String reason)
    {
        if (!started)
        {
            failuresAtStart.add(reason);
            return;
        }
        boolean running = deployer.liveApps().containsKey(appName);
        LOG.error("{}{}{}; the file is read again when it changes", reason, System.lineSeparator(),
            running ? "Nothing changed: the running version of app '" + appName + "' stays" : "App '" + appName + "' is not deployed");
    }

    /**
     * App files only: {@code *.properties}, not hidden (editors' swap files), so that examples
     * such as {@code jellyfin.properties.disabled} and notes beside them are left alone.
     */
    private static final class AppFileFilter implements FilenameFilter
    {
        @Override
        public boolean accept(File dir, String name)
        {
            return !name.startsWith(".") && name.endsWith(AppFile.EXTENSION) && Files.isRegularFile(dir.toPath().resolve(name));
        }
    }
}

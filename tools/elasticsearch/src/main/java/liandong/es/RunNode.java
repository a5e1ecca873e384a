package liandong.es;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.transport.TransportAddress;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.ClasspathPluginsNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * Starts one real Elasticsearch node in this JVM: the server jar plus the transport-netty4 module
 * (HTTP), {@link CjkAnalysisPlugin} and {@link RootInfoPlugin}, loaded as classpath plugins by
 * {@link ClasspathPluginsNode} (the way Elasticsearch's own integration tests start real nodes).
 * No x-pack, so no security: plain HTTP on 127.0.0.1. Normally started by ../../es-node.sh.
 *
 * <pre>
 * java -Xms512m -Xmx512m -cp target/classes:$(cat target/classpath.txt) liandong.es.RunNode \
 *   --home DIR [--http-port 0] [--cluster-name NAME] [--exit-on-stdin-eof]
 * </pre>
 *
 * Data go to DIR/data; logs (console only, config in DIR/config/log4j2.properties) to stdout.
 * Once HTTP is up it prints one line {@code LIANDONG_ES_READY http://127.0.0.1:PORT} (PORT is the bound one, so --http-port 0 picks a
 * free port without a race). SIGTERM/SIGINT close the node cleanly (exit 143/130); with
 * --exit-on-stdin-eof the node also shuts down when stdin closes, i.e. when the parent process
 * dies, however it dies.
 */
public final class RunNode {
    public static final String READY = "LIANDONG_ES_READY";
    public static final String STOPPED = "LIANDONG_ES_STOPPED";
    private static final String NODE_NAME = "liandong-es";

    /** Console only (the harness keeps stdout in a file); INFO, as a stock node logs. */
    private static final String LOG4J2_PROPERTIES = """
        status = error
        appender.console.type = Console
        appender.console.name = console
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
        rootLogger.level = info
        rootLogger.appenderRef.console.ref = console
        """;

    private RunNode() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        Path home = null;
        String httpPort = "0";
        String clusterName = "liandong-test";
        boolean exitOnStdinEof = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--home" -> home = Path.of(args[++i]).toAbsolutePath();
                case "--http-port" -> httpPort = args[++i];
                case "--cluster-name" -> clusterName = args[++i];
                case "--exit-on-stdin-eof" -> exitOnStdinEof = true;
                default -> usage("unknown argument " + args[i]);
            }
        }
        if (home == null) usage("--home is required");
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("config"));

        Settings settings = Settings.builder()
            .put("cluster.name", clusterName)
            .put("node.name", NODE_NAME)
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", "0")
            .put("discovery.type", "single-node")
            // CI disks may be nearly full; never let the disk watermarks leave shards unassigned.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // Fewer, smaller thread pools for 2-core machines; searches stay quick on tiny indices.
            .put("node.processors", Math.min(2, Runtime.getRuntime().availableProcessors()))
            .build();

        Path log4jConfig = home.resolve("config").resolve("log4j2.properties");
        if (Files.exists(log4jConfig) == false) {
            Files.writeString(log4jConfig, LOG4J2_PROPERTIES);
        }

        long t0 = System.nanoTime();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> NODE_NAME);
        LogConfigurator.setNodeName(NODE_NAME);
        LogConfigurator.setClusterName(clusterName);
        // true: keep the console appender. From here on System.out/err go through log4j (as in a stock
        // node), so our own lines use the streams captured at the start of main.
        LogConfigurator.configure(environment, true);
        Node node;
        try {
            node = new ClasspathPluginsNode(environment, List.of(Netty4Plugin.class, CjkAnalysisPlugin.class, RootInfoPlugin.class));
        } catch (Throwable t) {
            err.println("liandong-es: could not create the node");
            t.printStackTrace(err);
            err.flush();
            Runtime.getRuntime().halt(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                if (node.awaitClose(30, TimeUnit.SECONDS) == false) {
                    err.println("liandong-es: node did not close within 30s");
                }
            } catch (Exception e) {
                e.printStackTrace(err);
            } finally {
                out.println(STOPPED);
                out.flush();
                stopped.countDown();
            }
        }, "liandong-es-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            err.println("liandong-es: could not start the node");
            t.printStackTrace(err);
            err.flush();
            Runtime.getRuntime().halt(1);
        }
        TransportAddress http = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        out.println(READY + " http://" + http.getAddress() + ":" + http.getPort() + " (node started in " + ms + " ms)");
        out.flush();

        if (exitOnStdinEof) {
            Thread watcher = new Thread(() -> {
                try (InputStream in = System.in) {
                    byte[] buf = new byte[256];
                    while (in.read(buf) >= 0) {
                        // discard; only EOF matters
                    }
                } catch (IOException ignored) {
                    // treat as EOF
                }
                System.exit(0);
            }, "liandong-es-stdin-watch");
            watcher.setDaemon(true);
            watcher.start();
        }
        stopped.await();
    }

    private static void usage(String message) {
        System.err.println("liandong-es: " + message);
        System.err.println("usage: RunNode --home DIR [--http-port PORT|0] [--cluster-name NAME] [--exit-on-stdin-eof]");
        System.exit(2);
    }
}

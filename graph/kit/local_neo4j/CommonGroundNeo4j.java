// The local database: embedded Neo4j Community with a Bolt connector on loopback.
//
// Started in the background by `commonground db start`; the Python side (graph/local_neo4j/)
// provisions the jars, picks the port and the password, and reads the lines printed here.
// Usage: CommonGroundNeo4j <home-dir> <bolt-port> <password-file> <pagecache-size> <tx-timeout>
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

public final class CommonGroundNeo4j {
    private CommonGroundNeo4j() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.out.println("FATAL usage: CommonGroundNeo4j <home> <bolt-port> <password-file> <pagecache> <tx-timeout-seconds>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        Path passwordFile = Path.of(args[2]);
        long pagecache = parseSize(args[3]);
        long txTimeoutSeconds = Long.parseLong(args[4]);
        String password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();

        DatabaseManagementService service;
        try {
            service = new DatabaseManagementServiceBuilder(home)
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                    .setConfig(HttpConnector.enabled, false)
                    .setConfig(GraphDatabaseSettings.auth_enabled, true)
                    .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                    .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofSeconds(txTimeoutSeconds))
                    // Bolt waits 5 s twice on shutdown by default; clients reconnect anyway.
                    .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                    .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                    .build();
        } catch (Throwable error) {
            System.out.println("FATAL " + describe(error));
            System.exit(3);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("STOPPING");
            service.shutdown();
            System.out.println("STOPPED");
            stopped.countDown();
        }, "commonground-shutdown"));

        // The first start sets the generated password through the system database, so the
        // default neo4j/neo4j credentials are never usable over Bolt.
        Path marker = home.resolve("password-set");
        if (!Files.exists(marker)) {
            service.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
            Files.writeString(marker, "yes\n");
        }
        System.out.println("READY bolt://127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }

    private static long parseSize(String text) {
        String t = text.trim().toLowerCase();
        long unit = 1;
        if (t.endsWith("g")) { unit = ByteUnit.gibiBytes(1); t = t.substring(0, t.length() - 1); }
        else if (t.endsWith("m")) { unit = ByteUnit.mebiBytes(1); t = t.substring(0, t.length() - 1); }
        else if (t.endsWith("k")) { unit = ByteUnit.kibiBytes(1); t = t.substring(0, t.length() - 1); }
        return Long.parseLong(t) * unit;
    }

    private static String describe(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (text.length() > 0) text.append(" <- ");
            text.append(e.getClass().getSimpleName()).append(": ").append(String.valueOf(e.getMessage()).replace('\n', ' '));
        }
        return text.toString();
    }
}

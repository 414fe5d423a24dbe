package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real OpenSearch node for black-box tests: the distribution Maven unpacked, plugins installed from their zips
 * with {@code bin/opensearch-plugin install}, started as its own process on free loopback ports.
 *
 * <p>OpenSearch refuses to run as root, and CI runs as root: then the node runs as the unprivileged user
 * {@value #NODE_USER}, created on first use, from a home under the system temp folder (which that user can reach,
 * unlike a checkout under /root). The node's logs are copied to {@code target/integ/logs/<name>} when it stops.
 * Not thread-safe: one test class drives one node.
 */
public final class LocalNode implements AutoCloseable {

    static final String NODE_USER = "osnode";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final Path home;
    private final Path logsArchive;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String installLog;
    private Process launcher;
    // What the node was started with, to start it again on the same data (killAndRestart).
    private Map<String, String> startSettings;
    private String startCluster;
    private LocalNode startSeed;
    private long pid = -1;
    private int httpPort = -1;
    private int transportPort = -1;
    private String clusterName;
    private boolean closed;

    private LocalNode(String name, Path home, String installLog) {
        this.name = name;
        this.home = home;
        this.installLog = installLog;
        this.logsArchive = integDir().resolve("logs").resolve(name);
    }

    /** Starts describing a node; {@link Builder#start()} brings it up. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The plugin zip this build produced. */
    public static Path pluginZip() {
        return Paths.get(requiredProperty("plugin.zip"));
    }

    /** The k-NN plugin zip Maven resolved for the integ tests. */
    public static Path knnPluginZip() {
        return integDir().resolve("plugins").resolve("opensearch-knn.zip");
    }

    static Path integDir() {
        return Paths.get(requiredProperty("integ.dir"));
    }

    public String name() {
        return name;
    }

    /** The node's process id, for what only the operating system can tell (its threads' priorities). */
    public long pid() {
        return pid;
    }

    public Path home() {
        return home;
    }

    /** What {@code opensearch-plugin install} printed, for every plugin installed. */
    public String installLog() {
        return installLog;
    }

    /** The transport port, which the other nodes of a cluster find this one by. */
    public int transportPort() {
        return transportPort;
    }

    public int httpPort() {
        return httpPort;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    public Response get(String path) {
        return send("GET", path, null);
    }

    public Response delete(String path) {
        return send("DELETE", path, null);
    }

    public Response put(String path, String json) {
        return send("PUT", path, json);
    }

    public Response post(String path, String json) {
        return send("POST", path, json);
    }

    /** {@link #put} for a step the test builds on: anything but a 2xx answer fails the test there, with the answer. */
    public Response putOk(String path, String json) {
        return succeeded("PUT", path, put(path, json));
    }

    /** {@link #post} for a step the test builds on; a {@code _bulk} must also have no failed item. */
    public Response postOk(String path, String json) {
        return succeeded("POST", path, post(path, json));
    }

    private Response succeeded(String method, String path, Response response) {
        if (response.status() / 100 != 2) {
            throw new AssertionError(method + " " + path + " on node [" + name + "]: " + response);
        }
        if (path.contains("_bulk") && response.json().path("errors").asBoolean()) {
            throw new AssertionError(method + " " + path + " on node [" + name + "] had failed items: " + response);
        }
        return response;
    }

    /** One HTTP round trip; the body is parsed as JSON when it is JSON. */
    public Response send(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(120));
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            String contentType = path.contains("_bulk") ? "application/x-ndjson" : "application/json";
            request.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed on node [" + name + "]", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The node's main log so far, for assertion messages. */
    public String serverLog() {
        Path log = home.resolve("logs").resolve(clusterName + ".log");
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    private String clusterName(String cluster) {
        return "semantic-integ-" + (cluster != null ? cluster : name);
    }

    private void start(Map<String, String> settings, String cluster, LocalNode seed) throws IOException {
        startSettings = settings;
        startCluster = cluster;
        startSeed = seed;
        Path config = home.resolve("config").resolve("opensearch.yml");
        StringBuilder yml = new StringBuilder();
        Map<String, String> all = new LinkedHashMap<>();
        clusterName = clusterName(cluster);
        all.put("cluster.name", clusterName);
        all.put("node.name", name);
        all.put("network.host", "127.0.0.1");
        // Port 0 and the ports file let the OS pick free ports without a probe-then-bind race.
        all.put("http.port", "0");
        all.put("transport.port", "0");
        all.put("node.portsfile", "true");
        if (cluster == null) {
            all.put("discovery.type", "single-node");
        } else if (seed == null) {
            all.put("cluster.initial_cluster_manager_nodes", name);
        } else {
            all.put("discovery.seed_hosts", "127.0.0.1:" + seed.transportPort());
        }
        all.put("cluster.routing.allocation.disk.threshold_enabled", "false");
        all.putAll(settings);
        all.forEach((k, v) -> yml.append(k).append(": ").append(v).append('\n'));
        Files.writeString(config, yml.toString());
        Files.writeString(home.resolve("config").resolve("jvm.options.d").resolve("heap.options"), "-Xms512m\n-Xmx512m\n");
        Files.createDirectories(home.resolve("tmp"));
        grantToNodeUser(home);

        Path pidFile = home.resolve("opensearch.pid");
        List<String> command = new ArrayList<>();
        if (runningAsRoot()) {
            command.addAll(List.of("runuser", "-u", NODE_USER, "--"));
        }
        command.addAll(List.of(home.resolve("bin").resolve("opensearch").toString(), "-p", pidFile.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile())
            .redirectErrorStream(true)
            .redirectOutput(home.resolve("logs").resolve("console.log").toFile());
        builder.environment().put("OPENSEARCH_JAVA_HOME", javaHome());
        builder.environment().put("OPENSEARCH_TMPDIR", home.resolve("tmp").toString());
        builder.environment().remove("JAVA_HOME");
        launcher = builder.start();

        Instant deadline = Instant.now().plus(START_TIMEOUT);
        Path portsFile = home.resolve("logs").resolve("http.ports");
        while (!Files.exists(portsFile) || !Files.exists(pidFile)) {
            checkStillStarting(deadline, "write its ports file");
            pause();
        }
        pid = Long.parseLong(Files.readString(pidFile).trim());
        String address = Files.readAllLines(portsFile).get(0).trim();
        httpPort = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        Path transportPorts = home.resolve("logs").resolve("transport.ports");
        while (Files.exists(transportPorts) == false) {
            checkStillStarting(deadline, "write its transport ports file");
            pause();
        }
        String transport = Files.readAllLines(transportPorts).get(0).trim();
        transportPort = Integer.parseInt(transport.substring(transport.lastIndexOf(':') + 1));
        while (true) {
            checkStillStarting(deadline, "turn yellow");
            try {
                if (get("/_cluster/health?wait_for_status=yellow&timeout=5s").status() == 200) {
                    return;
                }
            } catch (UncheckedIOException notListeningYet) {
                // the ports file is written just before HTTP accepts connections
            }
            pause();
        }
    }

    private void checkStillStarting(Instant deadline, String what) {
        if (!launcher.isAlive()) {
            throw new NodeStartException("node [" + name + "] exited with code " + launcher.exitValue() + " before it could " + what, this);
        }
        if (Instant.now().isAfter(deadline)) {
            throw new NodeStartException("node [" + name + "] did not " + what + " within " + START_TIMEOUT, this);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(250); // polling interval of a bounded wait, not a synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Kills the node at once (SIGKILL) and starts it again on the same home and data, as after a crash: it rejoins
     * its cluster and its shards recover from disk and from their other copies.
     */
    public synchronized void killAndRestart() throws IOException {
        ProcessHandle.of(pid).ifPresent(node -> {
            node.destroyForcibly();
            node.onExit().join();
        });
        launcher.destroyForcibly();
        try {
            launcher.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        for (String file : List.of("logs/http.ports", "logs/transport.ports", "opensearch.pid")) {
            Files.deleteIfExists(home.resolve(file));
        }
        start(startSettings, startCluster, startSeed);
    }

    /** Kills the node at once (SIGKILL), as a crash or a pulled plug would, and keeps its logs under target/. */
    public synchronized void kill() {
        if (closed == false && pid > 0) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        close();
    }

    /** Stops the node (SIGTERM, then SIGKILL after a minute) and keeps its logs under target/. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Optional<ProcessHandle> node = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
            node.ifPresent(ProcessHandle::destroy);
            if (launcher != null) {
                launcher.destroy();
            }
            if (node.isPresent()) {
                try {
                    node.get().onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                } catch (Exception e) {
                    node.get().destroyForcibly();
                }
            }
            if (launcher != null && !launcher.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                launcher.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            archiveLogs();
            deleteRecursively(home);
        }
    }

    private void archiveLogs() {
        try {
            deleteRecursively(logsArchive);
            Files.createDirectories(logsArchive);
            Path logs = home.resolve("logs");
            if (Files.isDirectory(logs)) {
                try (Stream<Path> files = Files.list(logs)) {
                    for (Path file : files.filter(Files::isRegularFile).toList()) {
                        Files.copy(file, logsArchive.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            Files.writeString(logsArchive.resolve("plugin-install.log"), installLog);
        } catch (IOException e) {
            System.err.println("could not keep the logs of node [" + name + "]: " + e);
        }
    }

    /**
     * Adds (or replaces) a secure setting in the keystore of this running node, as {@code opensearch-keystore add}
     * does; {@code POST _nodes/reload_secure_settings} makes reloadable plugins take it.
     */
    public void addToKeystore(String key, String value) throws IOException {
        addToKeystore(home, key, value);
        grantToNodeUser(home.resolve("config"));
    }

    private static void addToKeystore(Path home, String key, String value) throws IOException {
        String tool = home.resolve("bin").resolve("opensearch-keystore").toString();
        Map<String, String> env = Map.of("OPENSEARCH_JAVA_HOME", javaHome());
        if (Files.exists(home.resolve("config").resolve("opensearch.keystore")) == false) {
            run(List.of(tool, "create"), env);
        }
        // The value goes through standard input, never the command line, where any user could read it.
        ExecResult result = exec(List.of(tool, "add", "--stdin", "--force", key), env, value);
        if (result.exitCode() != 0) {
            throw new IOException("opensearch-keystore add " + key + " exited with " + result.exitCode() + ":\n" + result.output());
        }
    }

    static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static String javaHome() {
        return System.getProperty("java.home");
    }

    private static void grantToNodeUser(Path dir) throws IOException {
        if (runningAsRoot()) {
            ensureNodeUser();
            run(List.of("chown", "-R", NODE_USER + ":" + NODE_USER, dir.toString()), null);
        }
    }

    private static synchronized void ensureNodeUser() throws IOException {
        if (exec(List.of("id", "-u", NODE_USER), null).exitCode() != 0) {
            run(List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", NODE_USER), null);
        }
    }

    static ExecResult run(List<String> command, Map<String, String> env) throws IOException {
        ExecResult result = exec(command, env);
        if (result.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + result.exitCode() + ":\n" + result.output());
        }
        return result;
    }

    static ExecResult exec(List<String> command, Map<String, String> env) throws IOException {
        return exec(command, env, null);
    }

    /** Runs {@code command}, writing {@code input} (if any) to its standard input. */
    static ExecResult exec(List<String> command, Map<String, String> env, String input) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (env != null) {
            builder.environment().putAll(env);
        }
        Process process = builder.start();
        try (var stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 5 minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new ExecResult(process.exitValue(), output);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }

    private static String requiredProperty(String key) {
        String value = System.getProperty(key);
        if (value == null) {
            throw new IllegalStateException("system property [" + key + "] is not set: run the integ tests through `mvn verify`");
        }
        return value;
    }

    /** An HTTP answer from the node. */
    public record Response(int status, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON (HTTP " + status + "): " + body, e);
            }
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + body;
        }
    }

    record ExecResult(int exitCode, String output) {}

    /** The node could not be brought up; the message carries the end of its log. */
    public static final class NodeStartException extends RuntimeException {
        NodeStartException(String message, LocalNode node) {
            super(message + "\n--- console ---\n" + tail(node.home.resolve("logs").resolve("console.log"), 60));
            node.close();
        }

        private static String tail(Path file, int lines) {
            try {
                List<String> all = Files.exists(file) ? Files.readAllLines(file) : List.of();
                return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
            } catch (IOException e) {
                return "(cannot read " + file + ")";
            }
        }
    }

    /** What goes on the node before it starts. */
    public static final class Builder {
        private final String name;
        private final List<Path> plugins = new ArrayList<>();
        private final Map<String, String> settings = new LinkedHashMap<>();
        private final Map<String, Path> configFiles = new LinkedHashMap<>();
        private final Map<String, String> keystore = new LinkedHashMap<>();
        private String cluster;
        private LocalNode seed;

        private Builder(String name) {
            this.name = name;
        }

        /**
         * Makes the node one of the cluster {@code cluster} instead of a single-node cluster: the first node started
         * (no {@code seed}) bootstraps it as cluster manager, the others join through {@code seed}.
         */
        public Builder cluster(String cluster, LocalNode seed) {
            this.cluster = cluster;
            this.seed = seed;
            return this;
        }

        /** Installs this zip with {@code bin/opensearch-plugin install}, in the order given. */
        public Builder plugin(Path zip) {
            plugins.add(zip);
            return this;
        }

        public Builder setting(String key, String value) {
            settings.put(key, value);
            return this;
        }

        /** Copies a file or folder into the node's config folder at {@code relativePath}. */
        public Builder configFile(String relativePath, Path source) {
            configFiles.put(relativePath, source);
            return this;
        }

        /** Puts a secure setting into the node's keystore (created when needed) before it starts. */
        public Builder keystore(String key, String value) {
            keystore.put(key, value);
            return this;
        }

        /** Copies the distribution, installs the plugins and starts the node; fails with the reason. */
        public LocalNode start() throws IOException {
            Path distribution = distributionHome();
            Path home = Files.createTempDirectory("semantic-integ-" + name + "-");
            run(List.of("cp", "-a", distribution + "/.", home.toString()), null);
            StringBuilder installLog = new StringBuilder();
            for (Path zip : plugins) {
                ExecResult result = exec(
                    List.of(home.resolve("bin").resolve("opensearch-plugin").toString(), "install", "--batch", zip.toUri().toString()),
                    Map.of("OPENSEARCH_JAVA_HOME", javaHome())
                );
                installLog.append("$ opensearch-plugin install --batch ").append(zip).append('\n').append(result.output());
                if (result.exitCode() != 0) {
                    deleteRecursively(home);
                    throw new IOException("opensearch-plugin install " + zip + " exited with " + result.exitCode() + ":\n" + result.output());
                }
            }
            for (Map.Entry<String, Path> file : configFiles.entrySet()) {
                Path target = home.resolve("config").resolve(file.getKey());
                Files.createDirectories(target.getParent());
                run(List.of("cp", "-a", file.getValue().toString(), target.toString()), null);
            }
            for (Map.Entry<String, String> secure : keystore.entrySet()) {
                addToKeystore(home, secure.getKey(), secure.getValue());
            }
            LocalNode node = new LocalNode(name, home, installLog.toString());
            // Stop the node even if the test JVM is torn down without running the test's cleanup.
            Runtime.getRuntime().addShutdownHook(new Thread(node::close));
            node.start(settings, cluster, seed);
            return node;
        }

        private static Path distributionHome() throws IOException {
            Path unpacked = integDir().resolve("distribution");
            try (Stream<Path> children = Files.list(unpacked)) {
                return children.filter(p -> Files.isExecutable(p.resolve("bin").resolve("opensearch")))
                    .findFirst()
                    .orElseThrow(() -> new IOException("no OpenSearch distribution under " + unpacked));
            }
        }
    }
}

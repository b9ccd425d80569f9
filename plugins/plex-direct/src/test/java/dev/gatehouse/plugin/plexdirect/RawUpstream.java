package dev.gatehouse.plugin.plexdirect;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import dev.gatehouse.testkit.TestCertificates;

/**
 * A TLS upstream written on raw sockets, to send what a Jetty server would never send: Plex's
 * duplicate {@code Content-Length}. Answers every request on a connection with the same bytes.
 */
final class RawUpstream implements AutoCloseable
{
    private final ServerSocket server;
    private final byte[] response;
    private final Thread acceptor;
    private final AtomicInteger requests = new AtomicInteger();

    RawUpstream(KeyStore keyStore, String response) throws Exception
    {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore, TestCertificates.PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        this.server = context.getServerSocketFactory().createServerSocket(0, 16, InetAddress.getByName("127.0.0.1"));
        this.response = response.getBytes(StandardCharsets.ISO_8859_1);
        this.acceptor = new Thread(this::accept, "raw-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port()
    {
        return server.getLocalPort();
    }

    int requests()
    {
        return requests.get();
    }

    private void accept()
    {
        // Bounded: a test makes a handful of connections.
        for (int connections = 0; connections < 32 && !server.isClosed(); connections++)
        {
            try
            {
                Socket socket = server.accept();
                Thread serving = new Thread(() -> serve(socket), "raw-upstream-connection");
                serving.setDaemon(true);
                serving.start();
            }
            catch (IOException e)
            {
                return;
            }
        }
    }

    private void serve(Socket socket)
    {
        try (socket)
        {
            socket.setSoTimeout(10_000);
            InputStream input = socket.getInputStream();
            OutputStream output = socket.getOutputStream();
            for (int exchange = 0; exchange < 16; exchange++)
            {
                if (!readHead(input))
                    return;
                requests.incrementAndGet();
                output.write(response);
                output.flush();
            }
        }
        catch (IOException ignored)
        {
            // the client went away
        }
    }

    private static boolean readHead(InputStream input) throws IOException
    {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4 && head.size() < 65536)
        {
            int b = input.read();
            if (b < 0)
                return false;
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return matched == 4;
    }

    @Override
    public void close() throws IOException
    {
        server.close();
    }
}

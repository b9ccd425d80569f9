package dev.gatehouse.plugin.gate;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Raw HTTP/1.1 requests, for request targets no client library would send unchanged
 * ({@code /web/%2e%2e/x}, {@code //admin}, {@code ..;/}).
 */
final class Raw
{
    private Raw()
    {
    }

    /**
     * @return the status code of the response, 0 if the connection closed without one
     */
    static int request(int port, boolean tls, String method, String target, String... headers) throws Exception
    {
        try (Socket socket = open(port, tls))
        {
            socket.setSoTimeout(10_000);
            StringBuilder text = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n");
            for (String header : headers)
                text.append(header).append("\r\n");
            text.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(text.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1 && b != '\n' && head.size() < 1000)
                head.write(b);
            String status = head.toString(StandardCharsets.ISO_8859_1);
            if (!status.startsWith("HTTP/1.1 "))
                return 0;
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    private static Socket open(int port, boolean tls) throws Exception
    {
        if (!tls)
            return new Socket("127.0.0.1", port);
        SSLContext context = SSLContext.getInstance("TLS");
        // The harness's certificate is self-signed; the hop is not what is tested.
        context.init(null, new TrustManager[]{new X509TrustManager()
        {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType)
            {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType)
            {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers()
            {
                return new X509Certificate[0];
            }
        }}, null);
        SSLSocket socket = (SSLSocket)context.getSocketFactory().createSocket("127.0.0.1", port);
        socket.startHandshake();
        return socket;
    }
}

package dev.gatehouse.core.tls;

import java.util.List;
import javax.net.ssl.SSLSession;

import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.SecureRequestCustomizer;

/**
 * Jetty's {@link SecureRequestCustomizer} with its SNI check made once per connection and host
 * name instead of on every request.
 *
 * <p>With {@code jetty.ssl.sniHostCheck} (on by default) or {@code jetty.ssl.sniRequired}, Jetty
 * checks every request's host name, and the name the client sent in SNI, against the certificate
 * the connection was served with. The answer cannot change while the TLS session and the host name
 * stay the same, yet it was worked out again for each request: on Conscrypt the session builds a
 * new {@code SNIHostName} (an IDN conversion) every time Jetty asks it for the name, and the
 * certificate match runs a regular expression; 3% of Gatehouse's CPU for small keep-alive requests.
 * Here Jetty's own check runs for a connection's first request and again whenever the host name
 * or the session differs from the last one it accepted on that connection; a request it refused
 * is refused the same way (400 "Invalid SNI") however often it comes.</p>
 *
 * <p>The memo lives on Gatehouse's TLS connection ({@link RecordBatchingSslConnection}, which every
 * TLS listener uses); on any other connection the check runs every time, as in Jetty.</p>
 */
public class SniCheckPerConnection extends SecureRequestCustomizer
{
    /** A session and the host name whose check passed in it. */
    record Accepted(SSLSession session, String serverName)
    {
    }

    /**
     * @return a customizer with {@code jetty}'s settings
     */
    public static SniCheckPerConnection copyOf(SecureRequestCustomizer jetty)
    {
        SniCheckPerConnection copy = new SniCheckPerConnection();
        copy.setSniRequired(jetty.isSniRequired());
        copy.setSniHostCheck(jetty.isSniHostCheck());
        copy.setStsMaxAge(jetty.getStsMaxAge());
        copy.setStsIncludeSubDomains(jetty.isStsIncludeSubDomains());
        return copy;
    }

    /**
     * Puts a copy in place of each of Jetty's own {@link SecureRequestCustomizer}s (not of its
     * subclasses, which may check differently) in {@code configuration}.
     */
    public static void replaceIn(HttpConfiguration configuration)
    {
        List<HttpConfiguration.Customizer> customizers = configuration.getCustomizers();
        for (int i = 0; i < customizers.size(); i++)
        {
            if (customizers.get(i).getClass() == SecureRequestCustomizer.class)
                customizers.set(i, copyOf((SecureRequestCustomizer)customizers.get(i)));
        }
    }

    @Override
    protected void checkSni(Request request, SSLSession session)
    {
        if (!isSniRequired() && !isSniHostCheck())
            return;
        RecordBatchingSslConnection connection = tlsConnection(request);
        String serverName = Request.getServerName(request);
        if (connection == null || serverName == null)
        {
            super.checkSni(request, session);
            return;
        }
        Accepted accepted = connection.sniAccepted();
        if (accepted != null && accepted.session() == session && accepted.serverName().equals(serverName))
            return;
        super.checkSni(request, session);
        connection.sniAccepted(new Accepted(session, serverName));
    }

    private static RecordBatchingSslConnection tlsConnection(Request request)
    {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (endPoint instanceof SslConnection.SslEndPoint tls && tls.getSslConnection() instanceof RecordBatchingSslConnection ours)
            return ours;
        return null;
    }
}

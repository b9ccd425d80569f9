package dev.gatehouse.plugin.securityheaders;

import org.eclipse.jetty.server.Request;

/**
 * Chooses the header policy of a request. Today one policy serves every route; when routes get
 * their own apps, a selector by route (host name) picks each route's preset, and nothing else in
 * the plugin changes.
 */
@FunctionalInterface
public interface PolicySelector
{
    /**
     * @return the policy for the request; never null
     */
    HeaderPolicy select(Request request);

    static PolicySelector global(HeaderPolicy policy)
    {
        return request -> policy;
    }
}

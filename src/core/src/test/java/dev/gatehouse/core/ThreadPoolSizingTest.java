package dev.gatehouse.core;

import java.util.Map;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ThreadPoolSizingTest
{
    @Test
    void jettysDefaultBecomesEightPerCpuAndAtLeast32()
    {
        assertEquals(32, ThreadPoolSizing.forProcessors(1));
        assertEquals(32, ThreadPoolSizing.forProcessors(4));
        assertEquals(64, ThreadPoolSizing.forProcessors(8));
        Server server = new Server(new QueuedThreadPool());
        ThreadPoolSizing.apply(server, Map.of());
        assertEquals(ThreadPoolSizing.forProcessors(Runtime.getRuntime().availableProcessors()), ((QueuedThreadPool)server.getThreadPool()).getMaxThreads());
    }

    @Test
    void aChosenSizeIsKept()
    {
        Server chosenByProperty = new Server(new QueuedThreadPool());
        ThreadPoolSizing.apply(chosenByProperty, Map.of(ThreadPoolSizing.PROPERTY, "200"));
        assertEquals(200, ((QueuedThreadPool)chosenByProperty.getThreadPool()).getMaxThreads());

        Server chosenInCode = new Server(new QueuedThreadPool(500));
        ThreadPoolSizing.apply(chosenInCode, Map.of());
        assertEquals(500, ((QueuedThreadPool)chosenInCode.getThreadPool()).getMaxThreads());
    }
}

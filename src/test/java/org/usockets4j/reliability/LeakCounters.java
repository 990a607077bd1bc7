package org.usockets4j.reliability;

import java.lang.reflect.Field;
import java.util.List;

import org.usockets4j.Loop;
import org.usockets4j.internal.SlotTable;

/**
 * Counts the native objects a loop still has registered, from its own bookkeeping: the timer, context, socket and
 * UDP slot tables (a C object's ext points into them until it is freed), the listeners of its contexts, its packet
 * buffers and the UDP receive buffer. Read by reflection so the library needs no test hook.
 */
final class LeakCounters {
    private LeakCounters() {
    }

    /** Objects one MisuseWalk fixture registers: timer, 2 contexts, 2 listeners, 4 sockets, UDP socket, buffer. */
    static int perFixture() {
        return 11;
    }

    static int live(Loop<?> loop) {
        int[] c = counts(loop);
        int sum = 0;
        for (int n : c) {
            sum += n;
        }
        return sum;
    }

    static String describe(Loop<?> loop) {
        int[] c = counts(loop);
        return "timers " + c[0] + ", contexts " + c[1] + ", sockets " + c[2] + ", listeners " + c[3] + ", UDP sockets "
                + c[4] + ", packet buffers " + c[5] + ", UDP receive buffer " + c[6];
    }

    private static int[] counts(Loop<?> loop) {
        try {
            Object tcp = get(loop, "tcp");
            Object udp = get(loop, "udp");
            SlotTable<?> contexts = (SlotTable<?>) get(tcp, "contexts");
            int listeners = 0;
            for (Object ctx : contexts.snapshot()) {
                listeners += ((List<?>) get(ctx, "listeners")).size();
            }
            return new int[] {
                ((SlotTable<?>) get(loop, "timers")).size(),
                contexts.size(),
                ((SlotTable<?>) get(tcp, "sockets")).size(),
                listeners,
                ((SlotTable<?>) get(udp, "sockets")).size(),
                ((List<?>) get(udp, "userBuffers")).size(),
                get(udp, "receiveBuffer") == null ? 0 : 1,
            };
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the loop's bookkeeping changed; update LeakCounters", e);
        }
    }

    private static Object get(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }
}

package org.usockets4j.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Loop-thread-only table of Java wrappers, indexed by the int slot a C object's ext holds. Each slot
 * has a generation bumped on removal, so a stale (slot, generation) from C finds nothing.
 */
public final class SlotTable<T> {
    private Object[] items;
    private int[] generations;
    private int[] free;
    private int freeCount;
    private int used;
    private int size;

    /** An empty table. */
    public SlotTable() {
        items = new Object[16];
        generations = new int[16];
        free = new int[16];
    }

    /** Stores item in a free slot and returns that slot; its generation is {@link #generation(int)}. */
    public int add(T item) {
        if (item == null) {
            throw new NullPointerException("item");
        }
        int slot;
        if (freeCount > 0) {
            slot = free[--freeCount];
        } else {
            if (used == items.length) {
                int n = items.length * 2;
                items = Arrays.copyOf(items, n);
                generations = Arrays.copyOf(generations, n);
                free = Arrays.copyOf(free, n);
            }
            slot = used++;
        }
        items[slot] = item;
        size++;
        return slot;
    }

    /** The current generation of a slot. */
    public int generation(int slot) {
        return generations[slot];
    }

    /** The item at (slot, generation), or null when that slot was freed or reused since. */
    @SuppressWarnings("unchecked")
    public T get(int slot, int generation) {
        if (slot < 0 || slot >= used || generations[slot] != generation) {
            return null;
        }
        return (T) items[slot];
    }

    /** Frees the slot (if it still holds that generation) and returns what it held, or null. */
    @SuppressWarnings("unchecked")
    public T remove(int slot, int generation) {
        if (slot < 0 || slot >= used || generations[slot] != generation || items[slot] == null) {
            return null;
        }
        T item = (T) items[slot];
        items[slot] = null;
        generations[slot]++;
        free[freeCount++] = slot;
        size--;
        return item;
    }

    /** How many items the table holds. */
    public int size() {
        return size;
    }

    /** A copy of every item, in slot order. */
    @SuppressWarnings("unchecked")
    public List<T> snapshot() {
        List<T> out = new ArrayList<>(size);
        for (int i = 0; i < used; i++) {
            if (items[i] != null) {
                out.add((T) items[i]);
            }
        }
        return out;
    }
}

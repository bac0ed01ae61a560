// An immutable array with value equality, so pipeline outputs made of it compare by content and cache.
using System;
using System.Collections;
using System.Collections.Generic;

namespace QuantGen.Generator
{
    /// <summary>
    /// A read-only array compared element by element (the default ImmutableArray compares references,
    /// which would defeat the incremental pipeline's caching).
    /// </summary>
    internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
        where T : IEquatable<T>
    {
        private readonly T[]? _items;

        public EquatableArray(T[] items)
        {
            _items = items;
        }

        public static EquatableArray<T> Empty => new EquatableArray<T>(Array.Empty<T>());

        public int Count => _items?.Length ?? 0;

        public T this[int index] => _items![index];

        public bool Equals(EquatableArray<T> other)
        {
            T[] a = _items ?? Array.Empty<T>(), b = other._items ?? Array.Empty<T>();
            if (ReferenceEquals(a, b)) return true;
            if (a.Length != b.Length) return false;
            var comparer = EqualityComparer<T>.Default;
            for (int i = 0; i < a.Length; i++)
            {
                if (!comparer.Equals(a[i], b[i])) return false;
            }
            return true;
        }

        public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

        public override int GetHashCode()
        {
            if (_items is null) return 0;
            var comparer = EqualityComparer<T>.Default;
            int hash = _items.Length;
            foreach (T item in _items) hash = unchecked(hash * 31 + comparer.GetHashCode(item));
            return hash;
        }

        public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

        public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? Array.Empty<T>())).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    internal static class EquatableArray
    {
        public static EquatableArray<T> From<T>(IEnumerable<T> items)
            where T : IEquatable<T> => new EquatableArray<T>(new List<T>(items).ToArray());
    }
}

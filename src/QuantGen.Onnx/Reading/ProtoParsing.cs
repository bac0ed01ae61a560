// Parses protobuf bytes into a message, turning every failure into QG0002 that says where and how the bytes went wrong.
using System;
using Google.Protobuf;

namespace QuantGen.Onnx.Reading
{
    internal static class ProtoParsing
    {
        /// <param name="what">How the message reads in an error, e.g. "a valid ONNX model".</param>
        public static T Parse<T>(MessageParser<T> parser, byte[] bytes, string what, string? file)
            where T : IMessage<T>
        {
            try
            {
                return parser.ParseFrom(bytes);
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                // Whatever Google.Protobuf throws on these bytes (mostly InvalidProtocolBufferException, but a length near
                // 2^31 can surface as an index or overflow error inside it) means the file is not a valid message.
                throw OnnxErrors.Malformed($"The file is not {what} ({Describe(bytes, e)}).", file);
            }
        }

        /// <summary>
        /// Google.Protobuf does not report where parsing failed, so walk the top-level fields to find the one that is
        /// broken: a truncated download breaks the last field, a file of another type breaks the first.
        /// </summary>
        private static string Describe(byte[] bytes, Exception e)
        {
            bool truncated = e.Message.IndexOf("ended unexpectedly", StringComparison.OrdinalIgnoreCase) >= 0
                || e.Message.IndexOf("truncated", StringComparison.OrdinalIgnoreCase) >= 0;
            long? fieldStart = FindBrokenTopLevelField(bytes);
            string where = fieldStart is long at ? $" in the field at byte {at} of {bytes.Length}" : "";
            return truncated
                ? $"truncated protobuf{where}: the data ends before the field does; the file may be incompletely copied"
                : $"corrupt protobuf{where}: {e.Message}";
        }

        private static long? FindBrokenTopLevelField(byte[] bytes)
        {
            var input = new CodedInputStream(bytes);
            long fieldStart = 0;
            try
            {
                while (true)
                {
                    fieldStart = input.Position;
                    if (input.ReadTag() == 0) return null; // every top-level field is well formed; the damage is nested
                    input.SkipLastField();
                }
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                return fieldStart;
            }
        }
    }
}

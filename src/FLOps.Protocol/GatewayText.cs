using System.Text;

namespace FLOps.Protocol;

/// <summary>
/// Text that came from the gateway (a problem's detail, an unknown model kind, an exception's
/// message quoting a body, a project's name) made fit for one log line, for the learner and the users' client alike: no control characters that could forge
/// another line, and no more than a bounded length.
/// </summary>
public static class GatewayText
{
    public const int DefaultMaxLength = 300;

    public static string OneLine(string? text, int maxLength = DefaultMaxLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var line = new StringBuilder(Math.Min(text.Length, maxLength + 1));
        foreach (var character in text)
        {
            if (line.Length == maxLength)
            {
                return line.Append('…').ToString();
            }

            line.Append(char.IsControl(character) ? ' ' : character);
        }

        return line.ToString();
    }
}

// An IBuildEngine that records what the tasks log, as MSBuild would show it.
using System;
using System.Collections;
using System.Collections.Generic;
using Microsoft.Build.Framework;

namespace QuantGen.Fuzz.Running
{
    /// <summary>One error or warning as the build log shows it: code, file and text.</summary>
    public sealed record LoggedDiagnostic(string Code, string File, string Message);

    public sealed class BuildLog : IBuildEngine
    {
        public List<LoggedDiagnostic> Errors { get; } = new List<LoggedDiagnostic>();
        public List<LoggedDiagnostic> Warnings { get; } = new List<LoggedDiagnostic>();
        public List<string> Messages { get; } = new List<string>();

        public bool ContinueOnError => false;
        public int LineNumberOfTaskNode => 0;
        public int ColumnNumberOfTaskNode => 0;
        public string ProjectFileOfTaskNode => "fuzz.csproj";

        public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(new LoggedDiagnostic(e.Code ?? "", e.File ?? "", e.Message ?? ""));
        public void LogWarningEvent(BuildWarningEventArgs e) => Warnings.Add(new LoggedDiagnostic(e.Code ?? "", e.File ?? "", e.Message ?? ""));
        public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Add(e.Message ?? "");
        public void LogCustomEvent(CustomBuildEventArgs e) { }

        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
            throw new NotSupportedException();
    }
}

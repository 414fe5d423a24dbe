package io.semanticsearch.integ;

/** Three package descriptions that the {@code semantic_text} tests index: one per topic, so a query has one answer. */
final class PackageTexts {

    static final String CLAMAV = "ClamAV is an open source anti-virus toolkit. It scans e-mail on mail gateways for "
        + "viruses, trojans and other malicious software, and can be driven from a mail filter.";
    static final String LOGROTATE = "Logrotate is designed to ease administration of systems that generate large numbers "
        + "of log files. It allows automatic rotation, compression, removal and mailing of log files.";
    static final String RSYNC = "rsync is a fast and versatile file copying tool. It copies files to and from remote "
        + "machines over ssh, sending only the differences between the files.";

    private PackageTexts() {}
}

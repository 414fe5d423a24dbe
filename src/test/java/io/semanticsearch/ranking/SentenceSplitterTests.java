package io.semanticsearch.ranking;

import io.semanticsearch.ranking.SentenceSplitter.Sentence;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;

public class SentenceSplitterTests extends OpenSearchTestCase {

    private static List<String> split(String text) {
        return SentenceSplitter.split(text).stream().map(Sentence::text).toList();
    }

    public void testEnglish() {
        assertEquals(
            List.of("Logs rotate weekly.", "Four weeks are kept!", "Is that enough?", "Change it in /etc/logrotate.conf."),
            split("Logs rotate weekly. Four weeks are kept! Is that enough? Change it in /etc/logrotate.conf.")
        );
    }

    public void testChinese() {
        assertEquals(
            List.of("日志每周轮转一次。", "默认保留四周！", "够用吗？", "在 /etc/logrotate.conf 中修改。"),
            split("日志每周轮转一次。默认保留四周！够用吗？在 /etc/logrotate.conf 中修改。")
        );
    }

    public void testMixedChineseAndEnglish() {
        assertEquals(
            List.of("使用 logrotate 工具。", "It runs daily from cron.", "配置文件在 /etc 下。"),
            split("使用 logrotate 工具。It runs daily from cron. 配置文件在 /etc 下。")
        );
    }

    public void testNumbersHostsAndAbbreviationsDoNotEndSentences() {
        assertEquals(
            List.of("Version 3.5 is on example.com now.", "Ask Dr. Smith, e.g. by mail, about U.S. rules etc. and more."),
            split("Version 3.5 is on example.com now. Ask Dr. Smith, e.g. by mail, about U.S. rules etc. and more.")
        );
        assertEquals(List.of("J. R. R. Tolkien wrote it."), split("J. R. R. Tolkien wrote it."));
        assertEquals(
            List.of("The file is /etc/logrotate.conf.", "Edit it as root."),
            split("The file is /etc/logrotate.conf. Edit it as root.")
        );
    }

    public void testLowerCaseAfterAStopContinuesTheSentence() {
        assertEquals(List.of("Wait... then it works."), split("Wait... then it works."));
    }

    public void testClosingQuotesStayWithTheirSentence() {
        assertEquals(List.of("He said \"stop.\"", "Then he left."), split("He said \"stop.\" Then he left."));
        assertEquals(List.of("他说：“停下。”", "然后走了。"), split("他说：“停下。”然后走了。"));
    }

    public void testBlankLinesSeparateParagraphsButSingleLineBreaksDoNot() {
        assertEquals(
            List.of("A heading", "The text wraps\nacross lines and ends here."),
            split("A heading\n\nThe text wraps\nacross lines and ends here.")
        );
    }

    public void testOffsetsPointIntoTheText() {
        String text = "  First one.   Second one.  ";
        List<Sentence> sentences = SentenceSplitter.split(text);
        assertEquals(2, sentences.size());
        for (Sentence sentence : sentences) {
            assertEquals(sentence.text(), text.substring(sentence.start(), sentence.end()));
        }
    }

    public void testEmptyAndUnterminated() {
        assertEquals(List.of(), split(""));
        assertEquals(List.of(), split("   \n\n  "));
        assertEquals(List.of("no full stop at the end"), split("no full stop at the end"));
    }
}

#pragma once
// Small pieces every qdiffusion-cli subcommand shares: the bad-input exit, a progress bar.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include <unistd.h>

namespace qd::cli
{

// Bad input: one line naming what was wrong, exit code 2.
inline int badInput(const std::string& message)
{
    std::cerr << "error: " << message << "\n";
    return 2;
}

// A progress bar on stderr with it/s and ETA, redrawn in place (only on a terminal; otherwise a
// line per 10 %).
class ProgressBar
{
public:
    explicit ProgressBar(int total)
        : m_total(std::max(1, total))
        , m_start(std::chrono::steady_clock::now())
        , m_tty(isatty(fileno(stderr)))
    {
    }

    void step()
    {
        ++m_done;
        m_total = std::max(m_total, m_done); // samplers with two evaluations a step (Heun, DPM2) run more
        const double secs = elapsedSeconds();
        const double rate = secs > 0 ? m_done / secs : 0;
        const double eta = rate > 0 ? (m_total - m_done) / rate : 0;
        const int pct = int(100.0 * m_done / m_total);
        if (!m_tty && pct / 10 == m_lastDecile && m_done != m_total)
            return;
        m_lastDecile = pct / 10;
        const int width = 30, filled = width * m_done / m_total;
        std::fprintf(stderr, "%s%3d%%|%s%s| %d/%d [%s<%s, %.2fit/s]%s", m_tty ? "\r" : "", pct,
            std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(), m_done, m_total,
            clock(secs).c_str(), clock(eta).c_str(), rate, m_tty ? "" : "\n");
        std::fflush(stderr);
    }

    void finish()
    {
        if (m_tty && m_done > 0)
            std::fputc('\n', stderr);
        m_done = m_done; // keep the figures for stepsPerSecond()
    }

    double elapsedSeconds() const
    {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }
    double stepsPerSecond() const
    {
        const double s = elapsedSeconds();
        return s > 0 ? m_done / s : 0;
    }

private:
    static std::string clock(double secs)
    {
        char buf[32];
        const int s = int(secs + 0.5);
        std::snprintf(buf, sizeof buf, "%02d:%02d", s / 60, s % 60);
        return buf;
    }

    int m_total;
    int m_done = 0;
    int m_lastDecile = -1;
    std::chrono::steady_clock::time_point m_start;
    bool m_tty;
};

} // namespace qd::cli

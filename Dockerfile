# Builds the static configmat binary and runs it as an unprivileged user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o /out/configmat ./cmd/configmat

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/configmat /usr/local/bin/configmat
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/configmat"]
CMD ["serve"]

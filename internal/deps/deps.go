package deps
import (
 _ "github.com/jmoiron/sqlx"
 _ "github.com/lib/pq"
 _ "github.com/gorilla/mux"
 _ "github.com/sirupsen/logrus"
 _ "github.com/ulule/limiter/v3"
 _ "github.com/ulule/limiter/v3/drivers/store/redis"
 _ "github.com/ulule/limiter/v3/drivers/store/memory"
 _ "github.com/redis/go-redis/v9"
 _ "go.uber.org/mock/gomock"
 _ "golang.org/x/crypto/argon2"
 _ "github.com/pressly/goose/v3"
 _ "modernc.org/sqlite"
 _ "github.com/getkin/kin-openapi/openapi3"
 _ "github.com/google/uuid"
 _ "github.com/testcontainers/testcontainers-go/modules/postgres"
)
